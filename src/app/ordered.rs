//! Parallel work, consumed in input order as it finishes.
//!
//! The workers of a rayon pool take items one at a time, in input order, and send each result
//! to the calling thread, which hands the results to `consume` strictly in input order (the
//! dedup decisions and the writing need that order). No worker waits for a whole batch to
//! finish, so one long document no longer leaves the other workers idle; and a worker starts
//! item `i` only when fewer than `window` items lie between it and the next item to consume, so
//! at most `window` results are held at once, whatever the input size.

use std::sync::mpsc;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// Why [`for_each_ordered`] stopped early.
#[derive(Debug)]
pub enum OrderedError<E> {
    /// `consume` returned this error; the workers stopped after their current item.
    Consume(E),
    /// A worker panicked; the items from the one it was working on were not consumed.
    Worker,
}

/// How far consumption has come, and whether the workers must stop.
struct Gate {
    consumed: usize,
    stop: bool,
    /// Workers waiting for `consumed` to move (notifying no one would still be a system call).
    waiting: usize,
}

struct Shared {
    gate: Mutex<Gate>,
    moved: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Gate> {
        // Nothing panics while holding the lock, so a poisoned lock still holds good data.
        self.gate.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn stop(&self) {
        self.lock().stop = true;
        self.moved.notify_all();
    }
}

/// Stops everything when a worker unwinds, so no one waits for the item it will never send.
struct StopOnUnwind<'a>(&'a Shared);

impl Drop for StopOnUnwind<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.stop();
        }
    }
}

/// Runs `work` on every item of `items` on the threads of `pool` and calls `consume` with the
/// results in input order, on the calling thread, while the workers go on. `window` (at least 1)
/// bounds the results held at once. The items are taken from `items` one at a time, under a
/// lock, by the worker that will work on them: an iterator that reads (the records of a
/// collection) is read sequentially, and at most `window` plus one per worker items exist at once.
pub fn for_each_ordered<I, R, E>(
    pool: &rayon::ThreadPool,
    items: I,
    window: usize,
    work: impl Fn(I::Item) -> R + Sync,
    mut consume: impl FnMut(R) -> Result<(), E>,
) -> Result<(), OrderedError<E>>
where
    I: Iterator + Send,
    I::Item: Send,
    R: Send,
{
    let window = window.max(1);
    let workers = pool.current_num_threads().max(1);
    let shared = Shared {
        gate: Mutex::new(Gate {
            consumed: 0,
            stop: false,
            waiting: 0,
        }),
        moved: Condvar::new(),
    };
    // The items and how many were taken; `None` once the iterator has ended.
    let source = Mutex::new((Some(items), 0usize));
    let (tx, rx) = mpsc::channel::<(usize, R)>();
    std::thread::scope(|scope| {
        let (shared, source, work) = (&shared, &source, &work);
        let workers_done = scope.spawn(move || {
            pool.scope(|s| {
                for _ in 0..workers {
                    let tx = tx.clone();
                    s.spawn(move |_| {
                        let _guard = StopOnUnwind(shared);
                        loop {
                            // Items are taken in input order, so the item to consume next is
                            // always taken and never waits here: no deadlock.
                            let (i, item) = {
                                let mut src = source.lock().unwrap_or_else(PoisonError::into_inner);
                                let (iter, taken) = &mut *src;
                                let Some(item) = iter.as_mut().and_then(Iterator::next) else {
                                    *iter = None;
                                    break;
                                };
                                *taken += 1;
                                (*taken - 1, item)
                            };
                            {
                                let mut g = shared.lock();
                                while !g.stop && i >= g.consumed + window {
                                    g.waiting += 1;
                                    g = shared
                                        .moved
                                        .wait(g)
                                        .unwrap_or_else(PoisonError::into_inner);
                                    g.waiting -= 1;
                                }
                                if g.stop {
                                    break;
                                }
                            }
                            if tx.send((i, work(item))).is_err() {
                                break;
                            }
                        }
                    });
                }
                drop(tx);
            });
        });

        // Results that arrived early wait in `slots`, item `i` in slot `i % window`: the
        // window keeps every item in flight within `window` of the next to consume.
        let mut slots: Vec<Option<R>> = (0..window).map(|_| None).collect();
        let mut expect = 0;
        let result = loop {
            let Ok((i, r)) = rx.recv() else {
                // Every worker is gone: the items have ended, or a worker panicked (then an
                // item was taken and never sent).
                let taken = source.lock().unwrap_or_else(PoisonError::into_inner).1;
                if expect == taken {
                    break Ok(());
                }
                break Err(OrderedError::Worker);
            };
            slots[i % window] = Some(r);
            let mut failed = None;
            while let Some(r) = slots[expect % window].take() {
                expect += 1;
                if let Err(e) = consume(r) {
                    failed = Some(e);
                    break;
                }
            }
            if let Some(e) = failed {
                break Err(OrderedError::Consume(e));
            }
            let mut g = shared.lock();
            g.consumed = expect;
            if g.waiting > 0 {
                shared.moved.notify_all();
            }
        };
        if result.is_err() {
            shared.stop();
        }
        drop(rx);
        // Joined here, a worker's panic is this error instead of a panic of the scope.
        match (workers_done.join(), result) {
            (_, Err(e)) => Err(e),
            (Err(_), Ok(())) => Err(OrderedError::Worker),
            (Ok(()), Ok(())) => Ok(()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn pool(n: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
    }

    /// Results come in input order for any thread count and window, even when early items take
    /// longest; and no item starts `window` or more items ahead of the next one consumed.
    #[test]
    fn in_order_within_the_window() {
        for threads in [1, 2, 4] {
            for window in [1, 2, 7, 64] {
                let items: Vec<usize> = (0..200).collect();
                let consumed = AtomicUsize::new(0);
                let mut got = Vec::new();
                let r: Result<(), OrderedError<()>> = for_each_ordered(
                    &pool(threads),
                    items.iter(),
                    window,
                    |&i| {
                        assert!(i < consumed.load(Ordering::SeqCst) + window);
                        if i % 50 == 0 {
                            std::thread::sleep(std::time::Duration::from_millis(3));
                        }
                        i * 3
                    },
                    |r| {
                        got.push(r);
                        consumed.fetch_add(1, Ordering::SeqCst);
                        Ok(())
                    },
                );
                assert!(r.is_ok());
                assert_eq!(got, (0..200).map(|i| i * 3).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn empty_input() {
        let r: Result<(), OrderedError<()>> = for_each_ordered(
            &pool(2),
            std::iter::empty::<u8>(),
            4,
            |_| 0,
            |_| unreachable!(),
        );
        assert!(r.is_ok());
    }

    /// An error of `consume` stops the run: it is returned, nothing after it is consumed, and
    /// the workers stop within the window instead of working through the rest.
    #[test]
    fn consume_error_stops_the_workers() {
        let items: Vec<usize> = (0..10_000).collect();
        let worked = AtomicUsize::new(0);
        let mut seen = 0;
        let r = for_each_ordered(
            &pool(2),
            items.iter(),
            8,
            |&i| {
                worked.fetch_add(1, Ordering::SeqCst);
                i
            },
            |i| {
                seen += 1;
                if i == 20 {
                    Err("disk full")
                } else {
                    Ok(())
                }
            },
        );
        assert!(matches!(r, Err(OrderedError::Consume("disk full"))));
        assert_eq!(seen, 21);
        assert!(worked.load(Ordering::SeqCst) < 21 + 8 + 2);
    }

    /// A panicking worker ends the run with an error instead of a deadlock.
    #[test]
    fn worker_panic_is_an_error_not_a_hang() {
        let items: Vec<usize> = (0..1000).collect();
        let r: Result<(), OrderedError<()>> = for_each_ordered(
            &pool(2),
            items.iter(),
            4,
            |&i| {
                if i == 10 {
                    panic!("constructed failure");
                }
                i
            },
            |_| Ok(()),
        );
        assert!(matches!(r, Err(OrderedError::Worker)));
    }
}
