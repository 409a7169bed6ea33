// temporary differential test against CPython results
use chaos_experiment::validate::{compile_python_regex, PyReErrorKind};

#[test]
#[ignore]
fn diff() {
    let path = std::env::var("PYRE_CASES").unwrap_or("/tmp/pyrediff/cases.json".into());
    let data: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let texts: Vec<&str> = data["texts"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    let mut bad = 0;
    let mut unsupported = 0;
    for c in data["cases"].as_array().unwrap() {
        let p = c["p"].as_str().unwrap();
        let r = std::panic::catch_unwind(|| compile_python_regex(p));
        let Ok(r) = r else { println!("PANIC {p:?}"); bad += 1; continue };
        match (c["ok"].as_bool().unwrap(), r) {
            (true, Ok(re)) => {
                for (i, t) in texts.iter().enumerate() {
                    let want = c["m"][i].as_bool().unwrap();
                    let got = re.is_match(t).unwrap_or(!want);
                    if got != want {
                        println!("MATCH {p:?} on {t:?}: python {want} we {got}");
                        bad += 1;
                        break;
                    }
                }
            }
            (true, Err(e)) => {
                if e.kind == PyReErrorKind::Unsupported { unsupported += 1; println!("UNSUP {p:?}: {}", e.msg); } else { println!("REJECT {p:?}: {}", e.msg); bad += 1; }
            }
            (false, Ok(_)) => { println!("ACCEPT {p:?}: python says {}", c["msg"]); bad += 1; }
            (false, Err(e)) => {
                let want = c["msg"].as_str().unwrap();
                if want != e.msg { println!("MSG {p:?}: python {want:?} we {:?}", e.msg); bad += 1; }
            }
        }
    }
    println!("bad={bad} unsupported={unsupported}");
}
