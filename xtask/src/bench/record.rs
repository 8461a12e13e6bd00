//! `BENCH {...}` lines: one benchmark result as a JSON object (see the bench output interface).

use serde_json::{Map, Value, json};

/// What starts a result line.
const PREFIX: &str = "BENCH ";

/// One benchmark result. Keeps the whole JSON object, so `--json` passes on fields it does not know.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    fields: Map<String, Value>,
}

impl Record {
    /// Reads one `BENCH {...}` line: `None` for any other line, an error for a result line that
    /// is not a JSON object with a non-empty string `name` and `unit` and a numeric `p50`,
    /// `value` or `mean`.
    pub fn parse_line(line: &str) -> Option<Result<Record, String>> {
        let text = line.trim().strip_prefix(PREFIX)?;
        let bad = |why: &str| Err(format!("bad result line ({why}): {}", line.trim()));
        Some(match serde_json::from_str::<Value>(text) {
            Err(e) => bad(&format!("not JSON: {e}")),
            Ok(Value::Object(fields)) => {
                let record = Record { fields };
                if record.name().is_empty() || record.unit().is_empty() {
                    bad("needs a non-empty string `name` and `unit`")
                } else if record.headline().is_none() {
                    bad("needs a numeric `p50`, `value` or `mean`")
                } else {
                    Ok(record)
                }
            }
            Ok(_) => bad("not a JSON object"),
        })
    }

    /// A host baseline: `per_op` instructions per operation, from `n` counted operations.
    pub fn host(name: &str, per_op: f64, n: u64) -> Record {
        Record::of([
            ("name", json!(name)),
            ("unit", json!("instructions")),
            ("mean", json!((per_op * 10.0).round() / 10.0)),
            ("n", json!(n)),
            ("accel", json!("host-callgrind")),
        ])
    }

    /// `value` as the ratio named `name`.
    pub fn ratio(name: &str, value: f64) -> Record {
        Record::of([
            ("name", json!(name)),
            ("unit", json!("ratio")),
            ("value", json!((value * 1000.0).round() / 1000.0)),
        ])
    }

    fn of<const N: usize>(fields: [(&str, Value); N]) -> Record {
        Record {
            fields: fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        }
    }

    /// The figure's name, `<suite>.<what>`.
    pub fn name(&self) -> &str {
        self.text("name")
    }

    /// Its unit: `instructions`, `cycles`, `hz`, `ratio`, …
    pub fn unit(&self) -> &str {
        self.text("unit")
    }

    /// A numeric field.
    pub fn number(&self, key: &str) -> Option<f64> {
        self.fields.get(key).and_then(Value::as_f64)
    }

    /// The one number that sums the result up: the median, else the value, else the mean.
    pub fn headline(&self) -> Option<f64> {
        ["p50", "value", "mean"]
            .into_iter()
            .find_map(|k| self.number(k))
    }

    /// The result as a `BENCH {...}` line.
    pub fn line(&self) -> String {
        format!("{PREFIX}{}", Value::Object(self.fields.clone()))
    }

    fn text(&self, key: &str) -> &str {
        self.fields.get(key).and_then(Value::as_str).unwrap_or("")
    }
}

/// Every result line in a command's output, in order.
pub fn parse_output(lines: &[String]) -> Result<Vec<Record>, String> {
    lines.iter().filter_map(|l| Record::parse_line(l)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Record {
        Record::parse_line(line)
            .expect("a result line")
            .expect("valid")
    }

    #[test]
    fn reads_percentiles_values_and_extra_fields() {
        let r = parse(
            r#"BENCH {"name":"executor.spawn_complete","unit":"instructions","p50":812,"p99":1040,"mean":830.5,"n":10000,"cpus":2,"accel":"tcg-icount","extra":[1]}"#,
        );
        assert_eq!(
            (r.name(), r.unit()),
            ("executor.spawn_complete", "instructions")
        );
        assert_eq!((r.headline(), r.number("p99")), (Some(812.0), Some(1040.0)));
        assert_eq!(r.number("n"), Some(10000.0));
        assert!(r.line().contains(r#""extra":[1]"#));
        assert_eq!(parse(&r.line()), r);
        let v = parse("  BENCH {\"name\":\"meta.tsc_hz\",\"unit\":\"hz\",\"value\":1000000000}\r");
        assert_eq!((v.headline(), v.number("p99")), (Some(1e9), None));
        let m = parse(r#"BENCH {"name":"x.y","unit":"instructions","mean":3.5}"#);
        assert_eq!(m.headline(), Some(3.5));
    }

    #[test]
    fn ignores_other_lines_and_rejects_bad_results() {
        for other in [
            "",
            "bench executor",
            "BENCHMARK {}",
            "executor: 3 results",
            "xBENCH {}",
        ] {
            assert!(Record::parse_line(other).is_none(), "{other:?}");
        }
        for bad in [
            "BENCH {",
            "BENCH [1]",
            r#"BENCH {"unit":"instructions","p50":1}"#,
            r#"BENCH {"name":"a.b","p50":1}"#,
            r#"BENCH {"name":"","unit":"hz","value":1}"#,
            r#"BENCH {"name":"a.b","unit":"instructions","p50":"many"}"#,
            r#"BENCH {"name":"a.b","unit":"instructions","p99":3}"#,
        ] {
            let err = Record::parse_line(bad).expect("a result line").unwrap_err();
            assert!(err.contains(bad), "{err}");
        }
    }

    #[test]
    fn parses_a_captured_run() {
        let out: Vec<String> = [
            r#"BENCH {"name":"meta.tsc_hz","unit":"hz","value":1000000000}"#,
            "executor: warming up",
            r#"BENCH {"name":"executor.spawn_complete","unit":"instructions","p50":700,"p99":900,"mean":720,"n":1000,"cpus":2,"accel":"tcg-icount"}"#,
            r#"BENCH {"name":"executor.remote_wake","unit":"instructions","p50":4100,"p99":5200,"mean":4200,"n":1000,"cpus":2,"accel":"tcg-icount"}"#,
        ]
        .map(String::from)
        .into();
        let records = parse_output(&out).unwrap();
        let names: Vec<&str> = records.iter().map(Record::name).collect();
        assert_eq!(
            names,
            [
                "meta.tsc_hz",
                "executor.spawn_complete",
                "executor.remote_wake"
            ]
        );
        let mut broken = out.clone();
        broken.push("BENCH {\"name\":".into());
        assert!(parse_output(&broken).is_err());
    }

    #[test]
    fn builds_host_and_ratio_results() {
        let h = Record::host("tokio.spawn_await", 2543.5978, 10_000);
        assert_eq!(
            h.line(),
            r#"BENCH {"name":"tokio.spawn_await","unit":"instructions","mean":2543.6,"n":10000,"accel":"host-callgrind"}"#
        );
        let r = Record::ratio("a.b/c.d", 2.0 / 3.0);
        assert_eq!((r.unit(), r.headline()), ("ratio", Some(0.667)));
    }
}
