//! `chaos schema`: the JSON Schema (draft 2020-12) of the experiment format,
//! for editors (the YAML language server, VS Code's JSON support).

use super::CmdResult;
use crate::cli::SchemaArgs;

/// The schema, as shipped in `crates/experiment/experiment.schema.json`.
pub const SCHEMA: &str = include_str!("../../../experiment/experiment.schema.json");

pub fn schema(args: &SchemaArgs) -> CmdResult {
    match &args.output {
        Some(path) => {
            std::fs::write(path, SCHEMA)
                .map_err(|e| anyhow::anyhow!("cannot write '{}': {e}", path.display()))?;
            eprintln!("Schema written to '{}'", path.display());
        }
        None => print!("{SCHEMA}"),
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn schema_is_json_with_descriptions() {
        let v: serde_json::Value = serde_json::from_str(super::SCHEMA).unwrap();
        assert_eq!(v["$schema"], "https://json-schema.org/draft/2020-12/schema");
        // Every property of every object schema says what it is.
        fn walk(v: &serde_json::Value, at: &str) {
            match v {
                serde_json::Value::Object(m) => {
                    if let Some(serde_json::Value::Object(props)) = m.get("properties") {
                        for (k, p) in props {
                            assert!(
                                p.get("description").is_some() || p.get("$ref").is_some(),
                                "{at}/properties/{k} has no description"
                            );
                        }
                    }
                    // Conditions are not shown to people.
                    for (k, c) in m.iter().filter(|(k, _)| *k != "if" && *k != "not") {
                        walk(c, &format!("{at}/{k}"));
                    }
                }
                serde_json::Value::Array(a) => a.iter().for_each(|c| walk(c, at)),
                _ => {}
            }
        }
        walk(&v, "#");
    }
}
