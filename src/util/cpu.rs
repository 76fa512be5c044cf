//! The one place the crate asks which instruction sets the CPU has.
//!
//! Code compiled for an instruction set beyond the build's baseline (x86-64 has SSE2 and no
//! more) is undefined behaviour on a CPU without it. So such code lives only in
//! `#[target_feature]` `unsafe fn`s, and each of them takes a token of this module as its first
//! argument: a zero-sized value that only [`Ssse3::detect`] and [`Avx2::detect`] can make, and
//! only after asking the CPU. Holding a token is the proof the `unsafe` call rests on, so every
//! call site states the same one-line safety argument, and no const flag or convention can send
//! a CPU into instructions it lacks.
//!
//! Detection itself is the standard library's (`is_x86_feature_detected!`, which asks the CPU
//! once and caches the answer); callers that run a kernel many times keep the token they got.

/// Proof that the CPU running this process has SSSE3 (x86-64 only).
#[derive(Clone, Copy, Debug)]
pub struct Ssse3(());

/// Proof that the CPU running this process has AVX2 (x86-64 only).
#[derive(Clone, Copy, Debug)]
pub struct Avx2(());

impl Ssse3 {
    /// The token, if this CPU has SSSE3.
    #[inline]
    pub fn detect() -> Option<Ssse3> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("ssse3") {
            return Some(Ssse3(()));
        }
        None
    }
}

impl Avx2 {
    /// The token, if this CPU has AVX2.
    #[inline]
    pub fn detect() -> Option<Avx2> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            return Some(Avx2(()));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_agree_with_the_standard_library() {
        #[cfg(target_arch = "x86_64")]
        {
            assert_eq!(
                Ssse3::detect().is_some(),
                std::arch::is_x86_feature_detected!("ssse3")
            );
            assert_eq!(
                Avx2::detect().is_some(),
                std::arch::is_x86_feature_detected!("avx2")
            );
        }
        #[cfg(not(target_arch = "x86_64"))]
        assert!(Ssse3::detect().is_none() && Avx2::detect().is_none());
    }
}
