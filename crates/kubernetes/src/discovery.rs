//! What `chaos discover chaostoolkit-kubernetes` lists: the extension's own
//! discovery entries (`discovery.json` is the output of chaostoolkit 1.19's
//! `chaos discover` for chaostoolkit-kubernetes 0.39.0, docstrings
//! included), kept for the functions this crate runs natively.

use chaos_pyvalue::{py_str, Value};

use crate::catalog;

/// The extension's name and version the listing describes.
pub const EXTENSION: (&str, &str) = ("chaostoolkit-kubernetes", "0.39.0");

fn reference() -> Vec<Value> {
    serde_json::from_str(include_str!("discovery.json")).unwrap_or_default()
}

/// Whether the catalog runs `module.name` natively.
fn native(module: &str, name: &str) -> bool {
    catalog()
        .iter()
        .any(|f| f.name == name && f.modules.contains(&module))
}

/// The discovery entries of every natively run function, in the
/// extension's order, with their arguments, types and documentation.
pub fn activities() -> Vec<Value> {
    reference()
        .into_iter()
        .filter(|a| {
            let module = a.get("mod").map(py_str).unwrap_or_default();
            let name = a.get("name").map(py_str).unwrap_or_default();
            native(&module, &name)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Python default as the catalog writes it, as discovery writes it.
    fn python_literal(default: &str) -> Value {
        match default {
            "None" => Value::Null,
            "True" => Value::Bool(true),
            "False" => Value::Bool(false),
            s if s.starts_with('\'') => Value::from(s.trim_matches('\'')),
            s => serde_json::from_str(s).unwrap_or_else(|_| panic!("unreadable default {s}")),
        }
    }

    #[test]
    fn every_catalog_function_is_listed_with_the_extensions_own_signature() {
        let listed = reference();
        for function in catalog() {
            for module in function.modules {
                let Some(entry) = listed
                    .iter()
                    .find(|a| a["mod"] == *module && a["name"] == function.name)
                else {
                    // Reachable names the extension does not export
                    // (`chaosk8s.probes.pod_is_not_available`) are not listed.
                    continue;
                };
                let arguments: Vec<(String, Option<Value>)> = entry["arguments"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|a| a["name"] != "secrets" && a["name"] != "configuration")
                    .map(|a| (py_str(&a["name"]), a.get("default").cloned()))
                    .collect();
                let ours: Vec<(String, Option<Value>)> = function
                    .params
                    .iter()
                    .map(|(n, d)| (n.to_string(), d.map(python_literal)))
                    .collect();
                assert_eq!(ours, arguments, "{module}.{}", function.name);
            }
        }
    }

    #[test]
    fn the_listing_holds_only_native_functions_and_all_the_exported_ones() {
        let listed = activities();
        assert!(listed.iter().any(|a| a["name"] == "drain_nodes"));
        for a in &listed {
            assert!(native(&py_str(&a["mod"]), &py_str(&a["name"])));
        }
        let exported = catalog()
            .iter()
            .flat_map(|f| f.modules.iter().map(move |m| (*m, f.name)))
            .filter(|(m, n)| {
                reference()
                    .iter()
                    .any(|a| a["mod"] == *m && a["name"] == *n)
            })
            .count();
        assert_eq!(listed.len(), exported);
    }
}
