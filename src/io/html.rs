//! `report.html`: the report drawn for people — one self-contained page (inline CSS and SVG, no
//! script, no network) with bar charts of languages, scripts, directions, encodings, kept and
//! dropped segments, duplicates, segment lengths, block kinds and flags, and, when asked for,
//! stage timings.
//!
//! The page is made from the report alone, so it is as deterministic as `report.json`; with
//! `[output] html_timings` it also carries the run's timings and then differs between runs.

use std::fmt::Write as _;

use super::report::{Report, Timing};

/// Escapes `s` for HTML text and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    crate::app::progress::thousands(n)
}

/// Rows drawn at most per chart; the rest are summed into one `other` row.
const MAX_ROWS: usize = 25;

const BAR_COLORS: [&str; 6] = [
    "#3b6ea8", "#d0743c", "#5a9e4b", "#a8518a", "#8c7a3e", "#4a8f97",
];

/// A horizontal bar chart as inline SVG: one row per `(label, value, shown value)`.
fn bar_chart(out: &mut String, title: &str, rows: &[(String, f64, String)], color: usize) {
    let _ = write!(out, "<section><h2>{}</h2>", esc(title));
    if rows.is_empty() {
        out.push_str("<p class=\"none\">none</p></section>\n");
        return;
    }
    let max = rows.iter().map(|r| r.1).fold(0.0f64, f64::max);
    let row_h = 22;
    let label_w = 170;
    let bar_w = 460.0;
    let height = rows.len() * row_h + 8;
    let _ = write!(
        out,
        "<svg role=\"img\" aria-label=\"{}\" width=\"{}\" height=\"{height}\" \
         viewBox=\"0 0 {} {height}\" xmlns=\"http://www.w3.org/2000/svg\">",
        esc(title),
        label_w + bar_w as usize + 120,
        label_w + bar_w as usize + 120
    );
    for (k, (label, value, shown)) in rows.iter().enumerate() {
        let y = k * row_h + 4;
        let w = if max > 0.0 { value / max * bar_w } else { 0.0 };
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"l\">{}</text>\
             <rect x=\"{label_w}\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\" fill=\"{}\"/>\
             <text x=\"{:.1}\" y=\"{}\" class=\"v\">{}</text>",
            label_w - 8,
            y + 15,
            esc(label),
            row_h - 6,
            BAR_COLORS[color % BAR_COLORS.len()],
            label_w as f64 + w + 6.0,
            y + 15,
            esc(shown)
        );
    }
    out.push_str("</svg></section>\n");
}

/// Rows of counts, largest first (ties by name), cut to [`MAX_ROWS`] with an `other` row;
/// each with its share of the rows' sum.
fn count_rows<'a>(items: impl Iterator<Item = (&'a str, u64)>) -> Vec<(String, f64, String)> {
    count_rows_of(items, None)
}

/// [`count_rows`], shares of `total` when given (flags: of the written segments, since a
/// segment may have several or none).
fn count_rows_of<'a>(
    items: impl Iterator<Item = (&'a str, u64)>,
    total: Option<u64>,
) -> Vec<(String, f64, String)> {
    let mut v: Vec<(&str, u64)> = items.collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let total: u64 = total.unwrap_or_else(|| v.iter().map(|x| x.1).sum());
    let pct = |n: u64| {
        if total > 0 {
            format!("{} ({:.1}%)", thousands(n), 100.0 * n as f64 / total as f64)
        } else {
            thousands(n)
        }
    };
    let mut rows: Vec<(String, f64, String)> = v
        .iter()
        .take(MAX_ROWS)
        .map(|(k, n)| (k.to_string(), *n as f64, pct(*n)))
        .collect();
    if v.len() > MAX_ROWS {
        let rest: u64 = v[MAX_ROWS..].iter().map(|x| x.1).sum();
        rows.push((
            format!("{} others", v.len() - MAX_ROWS),
            rest as f64,
            pct(rest),
        ));
    }
    rows
}

const STYLE: &str =
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:900px}\
h1{font-size:22px}h2{font-size:16px;margin:22px 0 6px}\
table{border-collapse:collapse}td,th{padding:2px 14px 2px 0;text-align:left}\
td.n{text-align:right;font-variant-numeric:tabular-nums}\
svg text{font:12px system-ui,sans-serif;fill:#222}.none{color:#777}\
.grid{display:flex;flex-wrap:wrap;gap:0 32px}";

/// The whole page.
pub fn page(r: &Report, timing: Option<&Timing>) -> String {
    let mut out = String::with_capacity(32 << 10);
    out.push_str(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>scriptorium report</title><style>",
    );
    out.push_str(STYLE);
    out.push_str("</style></head><body>\n<h1>scriptorium report</h1>\n");
    let dropped: u64 = r.segments.dropped.values().sum();
    let skipped: u64 = r.documents.skipped.values().sum();
    let d = &r.duplicates;
    let summary = [
        ("documents", r.documents.total),
        ("documents ok", r.documents.ok),
        ("documents skipped", skipped),
        ("with invalid bytes", r.documents.with_invalid_bytes),
        ("with mojibake repaired", r.documents.with_mojibake_repaired),
        ("input bytes", r.bytes),
        ("segments written", r.segments.emitted),
        ("segments dropped", dropped),
        (
            "duplicates found",
            d.exact_within_document
                + d.exact_across_documents
                + d.near_within_document
                + d.near_across_documents,
        ),
    ];
    out.push_str("<section><h2>Totals</h2><table>");
    for (k, v) in summary {
        let _ = write!(
            out,
            "<tr><th>{k}</th><td class=\"n\">{}</td></tr>",
            thousands(v)
        );
    }
    out.push_str("</table></section>\n");

    let lang_rows = count_rows(r.languages.iter().map(|(k, c)| (*k, c.segments)));
    bar_chart(&mut out, "Languages (segments written)", &lang_rows, 0);
    let mut kept = vec![("written", r.segments.emitted)];
    kept.extend(r.segments.dropped.iter().map(|(k, n)| (*k, *n)));
    bar_chart(
        &mut out,
        "Segments written and dropped, by reason",
        &count_rows(kept.into_iter()),
        1,
    );
    let dup_rows = [
        ("exact, within a document", d.exact_within_document),
        ("exact, across documents", d.exact_across_documents),
        ("near, within a document", d.near_within_document),
        ("near, across documents", d.near_across_documents),
    ]
    .iter()
    .map(|(k, n)| (k.to_string(), *n as f64, thousands(*n)))
    .collect::<Vec<_>>();
    bar_chart(&mut out, "Duplicates", &dup_rows, 2);
    let len_rows = r
        .segments
        .lengths
        .iter()
        .map(|c| {
            let label = match c.max_chars {
                Some(hi) => format!("{}–{} chars", c.min_chars, hi),
                None => format!("{}+ chars", c.min_chars),
            };
            (label, c.segments as f64, thousands(c.segments))
        })
        .collect::<Vec<_>>();
    bar_chart(&mut out, "Segment lengths (written)", &len_rows, 3);
    out.push_str("<div class=\"grid\">\n");
    bar_chart(
        &mut out,
        "Scripts",
        &count_rows(r.scripts.iter().map(|(k, c)| (*k, c.segments))),
        4,
    );
    bar_chart(
        &mut out,
        "Directions",
        &count_rows(r.directions.iter().map(|(k, c)| (*k, c.segments))),
        5,
    );
    bar_chart(
        &mut out,
        "Encodings (documents)",
        &count_rows(r.encodings.iter().map(|(k, n)| (*k, *n))),
        0,
    );
    bar_chart(
        &mut out,
        "Documents skipped, by status",
        &count_rows(r.documents.skipped.iter().map(|(k, n)| (*k, *n))),
        1,
    );
    bar_chart(
        &mut out,
        "Blocks of the written segments",
        &count_rows(r.segments.blocks.iter().map(|(k, n)| (*k, *n))),
        2,
    );
    bar_chart(
        &mut out,
        "Flags (share of the written segments)",
        &count_rows_of(
            r.segments.flags.iter().map(|(k, n)| (*k, *n)),
            Some(r.segments.emitted),
        ),
        3,
    );
    out.push_str("</div>\n");
    match timing {
        Some(t) => {
            let rows = t
                .stages
                .iter()
                .map(|s| {
                    (
                        s.stage.to_string(),
                        s.seconds,
                        format!("{:.2} s, {:.1} MB/s", s.seconds, s.mb_per_s),
                    )
                })
                .collect::<Vec<_>>();
            bar_chart(
                &mut out,
                &format!(
                    "Stage timings (CPU seconds; {:.2} s wall on {} threads, {:.1} MB/s)",
                    t.wall_seconds, t.threads, t.mb_per_s
                ),
                &rows,
                4,
            );
        }
        None => out.push_str(
            "<section><h2>Stage timings</h2><p class=\"none\">in <code>timing.json</code> \
             (set <code>[output] html_timings = true</code> to draw them here)</p></section>\n",
        ),
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_draws_every_chart() {
        let mut r = Report::default();
        r.segments.emitted = 3;
        r.segments.dropped.insert("exact_duplicate", 1);
        r.encodings.insert("<UTF-8>", 2);
        let page = page(&r, None);
        assert!(page.contains("&lt;UTF-8&gt;"));
        assert!(!page.contains("<UTF-8>"));
        for title in [
            "Languages",
            "Segments written and dropped",
            "Duplicates",
            "Segment lengths",
            "Scripts",
            "Encodings",
            "Stage timings",
        ] {
            assert!(page.contains(title), "{title}");
        }
        assert!(
            !page.contains("http://")
                || page.matches("http://").count()
                    == page.matches("xmlns=\"http://www.w3.org/2000/svg\"").count()
        );
    }

    #[test]
    fn long_lists_end_in_others() {
        let names: Vec<&'static str> = (0..30)
            .map(|k| &*Box::leak(format!("l{k:02}").into_boxed_str()))
            .collect();
        let rows = count_rows(names.iter().map(|n| (*n, 1)));
        assert_eq!(rows.len(), MAX_ROWS + 1);
        assert_eq!(rows[MAX_ROWS].0, "5 others");
    }
}
