//! The merged results: the kernel's figures next to their host anchors, as a table or as
//! `BENCH` lines.

use super::host::Baseline;
use super::record::Record;

/// A host baseline with its measured cost.
#[derive(Clone, Debug)]
pub struct Anchor {
    /// What the baseline is and which kernel figure it anchors.
    pub baseline: Baseline,
    /// Its result (`unit` instructions, `mean` the cost of one operation).
    pub record: Record,
}

/// Kernel results and host anchors.
#[derive(Debug)]
pub struct Report {
    /// The kernel's results in the order it printed them.
    pub kernel: Vec<Record>,
    /// The host baselines of the suite.
    pub anchors: Vec<Anchor>,
}

impl Report {
    /// The anchor of a kernel figure, if it has one.
    fn anchor_of(&self, kernel: &Record) -> Option<&Anchor> {
        self.anchors
            .iter()
            .find(|a| a.baseline.anchors == kernel.name())
    }

    /// kernel / anchor, when both are instruction counts.
    fn ratio(kernel: &Record, anchor: &Anchor) -> Option<f64> {
        let host = anchor.record.headline().filter(|&h| h > 0.0)?;
        (kernel.unit() == anchor.record.unit()).then_some(kernel.headline()? / host)
    }

    /// Every result as a `BENCH` line: the kernel's, then the host baselines', then one
    /// `"unit":"ratio"` line per anchored kernel figure, named `<kernel figure>/<baseline>`.
    pub fn lines(&self) -> Vec<String> {
        let ratios = self.kernel.iter().filter_map(|k| {
            let anchor = self.anchor_of(k)?;
            let name = format!("{}/{}", k.name(), anchor.baseline.name);
            Some(Record::ratio(&name, Report::ratio(k, anchor)?))
        });
        self.kernel
            .iter()
            .chain(self.anchors.iter().map(|a| &a.record))
            .cloned()
            .chain(ratios)
            .map(|r| r.line())
            .collect()
    }

    /// The human table: one row per kernel figure (with its anchor and the ratio kernel/anchor
    /// where it has one), then one row per host baseline.
    pub fn table(&self) -> String {
        let mut rows = vec![row([
            "figure",
            "unit",
            "p50/value",
            "p99",
            "host anchor",
            "anchor",
            "kernel/anchor",
        ])];
        let mut mixed_units = false;
        for k in &self.kernel {
            let (anchor, anchor_figure, ratio) = match self.anchor_of(k) {
                None => (String::new(), String::new(), String::new()),
                Some(a) => {
                    let ratio = Report::ratio(k, a);
                    mixed_units |= ratio.is_none();
                    (
                        a.baseline.name.clone(),
                        number(a.record.headline()),
                        ratio.map_or("-".into(), |r| format!("{r:.2}")),
                    )
                }
            };
            rows.push([
                k.name().into(),
                k.unit().into(),
                number(k.headline()),
                number(k.number("p99")),
                anchor,
                anchor_figure,
                ratio,
            ]);
        }
        for a in &self.anchors {
            rows.push([
                format!("{} (host)", a.baseline.name),
                a.record.unit().into(),
                number(a.record.headline()),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ]);
        }
        let mut text = render(&rows);
        if mixed_units {
            text.push_str(
                "ratios need the kernel figures in instructions (TCG with -icount); \
                 '-' marks figures in other units\n",
            );
        }
        text
    }
}

fn row(cells: [&str; 7]) -> [String; 7] {
    cells.map(String::from)
}

/// A figure for the table: whole numbers as they are, others with one decimal, `-` if absent.
fn number(n: Option<f64>) -> String {
    match n {
        None => "-".into(),
        Some(n) if n.fract() == 0.0 => format!("{n:.0}"),
        Some(n) => format!("{n:.1}"),
    }
}

/// Columns padded to their widest cell; text left-aligned, figures (columns 2, 3, 5, 6) right.
fn render(rows: &[[String; 7]]) -> String {
    let widths: Vec<usize> = (0..7)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut text = String::new();
    for r in rows {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, &w))| match c {
                2 | 3 | 5 | 6 => format!("{cell:>w$}"),
                _ => format!("{cell:<w$}"),
            })
            .collect();
        text.push_str(cells.join("  ").trim_end());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kernel(line: &str) -> Record {
        Record::parse_line(line).unwrap().unwrap()
    }

    fn anchor(name: &str, anchors: &str, per_op: f64) -> Anchor {
        Anchor {
            baseline: Baseline {
                name: name.into(),
                suite: "executor".into(),
                anchors: anchors.into(),
            },
            record: Record::host(name, per_op, 10_000),
        }
    }

    fn report(unit: &str) -> Report {
        Report {
            kernel: [
                r#"BENCH {"name":"meta.tsc_hz","unit":"hz","value":1000000000}"#.to_string(),
                format!(r#"BENCH {{"name":"executor.spawn_complete","unit":"{unit}","p50":1272,"p99":1500,"n":100}}"#),
                format!(r#"BENCH {{"name":"executor.wake_same_core","unit":"{unit}","p50":300,"p99":320,"n":100}}"#),
                format!(r#"BENCH {{"name":"executor.remote_wake","unit":"{unit}","p50":4260,"p99":5000,"n":100}}"#),
            ]
            .iter()
            .map(|l| kernel(l))
            .collect(),
            anchors: vec![
                anchor("tokio.spawn_await", "executor.spawn_complete", 2543.6),
                anchor("tokio.pingpong_rtt", "executor.pingpong_rtt", 2027.6),
                anchor("crossbeam.send_recv", "executor.remote_wake", 213.0),
            ],
        }
    }

    #[test]
    fn pairs_kernel_figures_with_their_anchors() {
        let r = report("instructions");
        let names: Vec<Option<&str>> = r
            .kernel
            .iter()
            .map(|k| r.anchor_of(k).map(|a| a.baseline.name.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                None,
                Some("tokio.spawn_await"),
                None,
                Some("crossbeam.send_recv")
            ]
        );
        let spawn = &r.kernel[1];
        let ratio = Report::ratio(spawn, r.anchor_of(spawn).unwrap()).unwrap();
        assert!((ratio - 1272.0 / 2543.6).abs() < 1e-9);
        let cycles = report("cycles");
        assert_eq!(
            Report::ratio(
                &cycles.kernel[1],
                cycles.anchor_of(&cycles.kernel[1]).unwrap()
            ),
            None
        );
    }

    #[test]
    fn prints_one_table() {
        let table = report("instructions").table();
        let expected = "\
figure                      unit           p50/value   p99  host anchor          anchor  kernel/anchor
meta.tsc_hz                 hz            1000000000     -
executor.spawn_complete     instructions        1272  1500  tokio.spawn_await    2543.6           0.50
executor.wake_same_core     instructions         300   320
executor.remote_wake        instructions        4260  5000  crossbeam.send_recv     213          20.00
tokio.spawn_await (host)    instructions      2543.6
tokio.pingpong_rtt (host)   instructions      2027.6
crossbeam.send_recv (host)  instructions         213
";
        assert_eq!(table, expected, "\n{table}");
    }

    #[test]
    fn says_why_a_ratio_is_missing() {
        let table = report("cycles").table();
        assert!(
            table.contains("crossbeam.send_recv     213              -\n"),
            "\n{table}"
        );
        assert!(
            table.ends_with("'-' marks figures in other units\n"),
            "\n{table}"
        );
    }

    #[test]
    fn merges_everything_as_bench_lines() {
        let lines = report("instructions").lines();
        assert_eq!(lines.len(), 4 + 3 + 2);
        assert!(lines[0].starts_with(r#"BENCH {"name":"meta.tsc_hz""#));
        assert_eq!(
            lines[7],
            r#"BENCH {"name":"executor.spawn_complete/tokio.spawn_await","unit":"ratio","value":0.5}"#
        );
        assert_eq!(
            lines[8],
            r#"BENCH {"name":"executor.remote_wake/crossbeam.send_recv","unit":"ratio","value":20.0}"#
        );
        for line in &lines {
            assert!(Record::parse_line(line).unwrap().is_ok(), "{line}");
        }
        assert_eq!(report("cycles").lines().len(), 4 + 3);
    }
}
