//! The driver against chaos-proxy's Toxiproxy API served in-process, and the
//! signature tables against the extension's own discovery.

use std::sync::Mutex;

use chaos_drivers::{ActivityError, Call, Driver};
use chaos_pyvalue::{py_str, Map, Value};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::*;

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => panic!("not an object"),
    }
}

/// Runs one provider with `configuration`; returns the outcome and the
/// warnings it logged.
async fn call(
    provider: Value,
    configuration: &Map<String, Value>,
) -> (Result<Value, ActivityError>, Vec<String>) {
    let driver = ToxiproxyDriver::new();
    let provider = object(provider);
    let warnings = Mutex::new(Vec::new());
    let warn = |m: String| warnings.lock().unwrap().push(m);
    let secrets = Map::new();
    let outcome = driver
        .execute(Call {
            provider: &provider,
            activity_name: "a",
            has_tolerance: false,
            configuration,
            secrets: &secrets,
            cancel: CancellationToken::new(),
            warn: &warn,
            exclusive: true,
            tracing: None,
        })
        .await;
    (outcome, warnings.into_inner().unwrap())
}

fn python(module: &str, func: &str, arguments: Value) -> Value {
    json!({"type": "python", "module": module, "func": func, "arguments": arguments})
}

fn failed(outcome: Result<Value, ActivityError>) -> String {
    match outcome {
        Err(ActivityError::Failed { message, .. }) => message,
        other => panic!("expected a failure, got {other:?}"),
    }
}

/// chaos-proxy's API on a free loopback port; the configuration that
/// points chaostoxi at it.
async fn server() -> (Map<String, Value>, CancellationToken) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let stop = CancellationToken::new();
    tokio::spawn(chaos_proxy::api::serve(
        listener,
        chaos_proxy::Proxies::new(Some(1)),
        stop.clone(),
    ));
    let configuration = object(json!({"toxiproxy_host": "127.0.0.1", "toxiproxy_port": port}));
    (configuration, stop)
}

#[test]
fn the_base_url_follows_build_base_url() {
    let url = |c: Value| base_url(&object(c));
    assert_eq!(url(json!({})), "http://None:8474");
    assert_eq!(url(json!({"toxiproxy_host": "h"})), "http://h:8474");
    assert_eq!(
        url(json!({"toxiproxy_host": "h", "toxiproxy_port": 0})),
        "http://h:8474"
    );
    assert_eq!(
        url(json!({"toxiproxy_host": "h", "toxiproxy_port": "9"})),
        "http://h:9"
    );
    assert_eq!(
        url(json!({"toxiproxy_host": "h", "toxiproxy_url": "http://x/api"})),
        "http://x/api"
    );
    assert_eq!(
        url(json!({"toxiproxy_host": "h", "toxiproxy_url": ""})),
        "http://h:8474"
    );
}

#[test]
fn functions_are_found_by_module_or_by_name() {
    let found = |p: Value| find(&object(p)).map(|f| (f.module, f.name));
    assert_eq!(
        found(json!({"module": "chaostoxi.toxiproxyapi", "func": "reset"})),
        Some(("chaostoxi.toxiproxyapi", "reset"))
    );
    assert_eq!(
        found(json!({"func": "reset"})),
        Some(("chaostoxi.proxy.actions", "reset"))
    );
    assert_eq!(
        found(json!({"func": "toxiproxyapi.create_proxy"})),
        Some(("chaostoxi.toxiproxyapi", "create_proxy"))
    );
    assert_eq!(
        found(json!({"func": "chaostoxi.proxy.probes.proxy_exist"})),
        Some(("chaostoxi.proxy.probes", "proxy_exist"))
    );
    assert_eq!(
        found(json!({"module": "chaostoxi.proxy.probes", "func": "reset"})),
        None
    );
    let routed = ToxiproxyDriver::new().python_functions();
    assert_eq!(routed.len(), 26);
    assert!(routed.contains(&(
        "chaostoxi.toxic.actions".into(),
        "create_limiter_toxic".into()
    )));
}

#[test]
fn arguments_are_checked_against_the_signature_as_chaoslib_words_it() {
    let driver = ToxiproxyDriver::new();
    let check = |p: Value| -> Vec<String> {
        driver
            .check(&object(p), "make-it-slow", "action")
            .into_iter()
            .map(|i| i.message)
            .collect()
    };
    assert!(check(python(
        "chaostoxi.toxic.actions",
        "create_latency_toxic",
        json!({"for_proxy": "p", "toxic_name": "t", "latency": 1})
    ))
    .is_empty());
    assert_eq!(
        check(python(
            "chaostoxi.toxic.actions",
            "create_latency_toxic",
            json!({"for_proxy": "p", "toxic_name": "t", "lag": 1})
        )),
        [
            "required argument 'latency' is missing from activity 'make-it-slow'",
            "argument 'lag' is not part of the function signature in activity 'make-it-slow'",
        ]
    );
    // `configuration` is injected, never required.
    assert!(check(python(
        "chaostoxi.toxiproxyapi",
        "read_proxy",
        json!({"proxy_name": "p"})
    ))
    .is_empty());
    assert_eq!(
        check(json!({"type": "toxiproxy", "func": "no_such"})).len(),
        1
    );
}

/// A default as the catalog writes it, as discovery writes it.
#[test]
fn the_listing_matches_the_catalog_signatures() {
    let listed = discovery::activities();
    assert_eq!(listed.len(), 16);
    for entry in &listed {
        let function = functions()
            .find(|f| f.module == entry["mod"] && f.name == entry["name"])
            .unwrap_or_else(|| panic!("{entry} is not in the catalog"));
        let arguments: Vec<(String, Option<Value>)> = entry["arguments"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["name"] != "configuration")
            .map(|a| (py_str(&a["name"]), a.get("default").cloned()))
            .collect();
        let ours: Vec<(String, Option<Value>)> = function
            .params
            .iter()
            .map(|(n, d)| (n.to_string(), d.map(python_literal)))
            .collect();
        assert_eq!(ours, arguments, "{}", function.name);
    }
    // Everything but the helpers and value_from_environment_if_exists is listed.
    let exported = functions()
        .filter(|f| f.module != API && f.name != "value_from_environment_if_exists")
        .count();
    assert_eq!(exported, listed.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_function_makes_the_calls_and_answers_as_the_extension() {
    let (conf, stop) = server().await;
    let upstream = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let upstream_port = upstream.local_addr().unwrap().port();

    let create = python(
        PA,
        "create_proxy",
        json!({"proxy_name": "unit_db", "upstream_host": "127.0.0.1",
               "upstream_port": upstream_port, "listen_host": "127.0.0.1"}),
    );
    assert_eq!(call(create.clone(), &conf).await.0, Ok(json!(true)));
    let port = chaos_drivers::environment::get("unit_db_PORT").expect("the port is exported");
    assert!(port.parse::<u16>().unwrap() > 0);
    // 409: the helper answers None, the action asserts.
    assert_eq!(failed(call(create, &conf).await.0), "AssertionError");

    let attr = |a: &str| {
        python(
            PP,
            "get_proxy_attribute",
            json!({"proxy_name": "unit_db", "attribute": a}),
        )
    };
    assert_eq!(
        call(attr("listen"), &conf).await.0,
        Ok(json!(format!("127.0.0.1:{port}")))
    );
    assert_eq!(
        call(attr("upstream"), &conf).await.0,
        Ok(json!(format!("127.0.0.1:{upstream_port}")))
    );
    assert_eq!(
        failed(call(attr("nope"), &conf).await.0),
        "KeyError: 'nope'"
    );
    let missing = python(
        PP,
        "get_proxy_attribute",
        json!({"proxy_name": "gone", "attribute": "listen"}),
    );
    assert_eq!(call(missing, &conf).await.0, Ok(Value::Null));
    assert_eq!(
        call(
            python(PP, "proxy_exist", json!({"proxy_name": "unit_db"})),
            &conf
        )
        .await
        .0,
        Ok(json!(true))
    );
    assert_eq!(
        call(
            python(PP, "proxy_exist", json!({"proxy_name": "gone"})),
            &conf
        )
        .await
        .0,
        Ok(json!(false))
    );

    let latency = python(
        TA,
        "create_latency_toxic",
        json!({"for_proxy": "unit_db", "toxic_name": "slow", "latency": 50}),
    );
    assert_eq!(call(latency.clone(), &conf).await.0, Ok(json!(true)));
    let (duplicate, warnings) = call(latency, &conf).await;
    assert_eq!(
        failed(duplicate),
        "TypeError: 'NoneType' object is not subscriptable"
    );
    assert_eq!(warnings, ["Unable to create toxic for proxy: unit_db"]);
    let toxics = call(attr("toxics"), &conf).await.0.unwrap();
    assert_eq!(toxics[0]["attributes"]["latency"], json!(50));
    assert_eq!(toxics[0]["attributes"]["jitter"], json!(0));
    assert_eq!(toxics[0]["stream"], json!("downstream"));

    for (func, arguments) in [
        ("create_bandwith_degradation_toxic", json!({"rate": 100})),
        ("create_slow_connection_close_toxic", json!({"delay": 10})),
        ("create_timeout_toxic", json!({"timeout": 1000})),
        (
            "create_slicer_toxic",
            json!({"average_size": 10, "size_variation": 2, "delay": 5}),
        ),
        ("create_limiter_toxic", json!({"bytes_limit": 1000})),
    ] {
        let mut arguments = object(arguments);
        arguments.insert("for_proxy".into(), json!("unit_db"));
        arguments.insert("toxic_name".into(), json!(func));
        let outcome = call(python(TA, func, Value::Object(arguments)), &conf)
            .await
            .0;
        assert_eq!(outcome, Ok(json!(true)), "{func}");
    }
    let limiter = call(attr("toxics"), &conf).await.0.unwrap();
    let limiter = limiter
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "create_limiter_toxic")
        .unwrap()
        .clone();
    assert_eq!(limiter["type"], "limit_data");
    assert_eq!(limiter["attributes"]["bytes"], 1000);

    // Any type, attributes null when omitted; a float rejected by the server.
    let generic = python(
        TA,
        "create_toxic",
        json!({"for_proxy": "unit_db", "toxic_name": "rp", "toxic_type": "reset_peer", "stream": "upstream"}),
    );
    assert_eq!(call(generic, &conf).await.0, Ok(json!(true)));
    let float = python(
        TA,
        "create_latency_toxic",
        json!({"for_proxy": "unit_db", "toxic_name": "f", "latency": 100.0}),
    );
    assert_eq!(
        failed(call(float, &conf).await.0),
        "TypeError: 'NoneType' object is not subscriptable"
    );

    let delete = python(
        TA,
        "delete_toxic",
        json!({"for_proxy": "unit_db", "toxic_name": "slow"}),
    );
    assert_eq!(call(delete.clone(), &conf).await.0, Ok(json!(true)));
    assert_eq!(call(delete, &conf).await.0, Ok(json!(false)));

    let disable = python(PA, "disable_proxy", json!({"proxy_name": "unit_db"}));
    assert_eq!(call(disable, &conf).await.0, Ok(json!(true)));
    assert_eq!(call(attr("enabled"), &conf).await.0, Ok(json!(false)));
    let enable = json!({"type": "toxiproxy", "func": "enable_proxy", "arguments": {"proxy_name": "unit_db"}});
    assert_eq!(call(enable, &conf).await.0, Ok(json!(true)));
    assert_eq!(call(attr("enabled"), &conf).await.0, Ok(json!(true)));
    let nothing = python(PA, "modify_proxy", json!({"proxy_name": "gone"}));
    let (outcome, warnings) = call(nothing, &conf).await;
    assert_eq!(failed(outcome), "AssertionError");
    assert_eq!(warnings, ["Unable to modify proxy gone"]);

    assert_eq!(
        call(python(PA, "reset", json!({})), &conf).await.0,
        Ok(json!(true))
    );
    assert_eq!(call(attr("toxics"), &conf).await.0, Ok(json!([])));

    let read = python(API, "read_proxy", json!({"proxy_name": "unit_db"}));
    assert_eq!(call(read, &conf).await.0.unwrap()["name"], "unit_db");
    assert_eq!(
        call(python(API, "build_proxies_baseUrl", json!({})), &conf)
            .await
            .0,
        Ok(json!(format!("{}/proxies", base_url(&conf))))
    );

    let delete = python(PA, "delete_proxy", json!({"proxy_name": "unit_db"}));
    assert_eq!(call(delete.clone(), &conf).await.0, Ok(Value::Null));
    let (outcome, warnings) = call(delete, &conf).await;
    assert_eq!(outcome, Ok(Value::Null));
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].ends_with("/proxies/unit_db received: 404"),
        "{warnings:?}"
    );
    stop.cancel();
}

#[tokio::test]
async fn without_a_server_delete_proxy_only_warns_and_the_rest_fail_as_requests_does() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let conf = object(json!({"toxiproxy_host": "127.0.0.1", "toxiproxy_port": port}));
    let (outcome, warnings) = call(
        python(PA, "delete_proxy", json!({"proxy_name": "p"})),
        &conf,
    )
    .await;
    assert_eq!(outcome, Ok(Value::Null));
    assert_eq!(
        warnings,
        [format!(
            "Unable to remove proxy from chaostoolkit with: http://127.0.0.1:{port}/proxies/p"
        )]
    );
    let message = failed(call(python(PA, "reset", json!({})), &conf).await.0);
    // Word for word what chaostoxi 0.3.1 (requests 2.34, urllib3 2) says.
    assert_eq!(
        message,
        format!(
            "requests.exceptions.ConnectionError: HTTPConnectionPool(host='127.0.0.1', port={port}): \
             Max retries exceeded with url: /reset (Caused by NewConnectionError(\"HTTPConnection(\
             host='127.0.0.1', port={port}): Failed to establish a new connection: [Errno 111] \
             Connection refused\"))"
        )
    );
    let no_host = object(json!({"toxiproxy_port": port}));
    let message = failed(call(python(PA, "reset", json!({})), &no_host).await.0);
    assert_eq!(
        message,
        format!(
            "requests.exceptions.ConnectionError: HTTPConnectionPool(host='none', port={port}): \
             Max retries exceeded with url: /reset (Caused by NameResolutionError(\"HTTPConnection(\
             host='none', port={port}): Failed to resolve 'none' ([Errno -2] Name or service not \
             known)\"))"
        )
    );
    let missing_env = python(
        PA,
        "create_proxy",
        json!({"proxy_name": "p", "upstream_host": "env:CHAOS_TOXI_UNSET_VARIABLE", "upstream_port": 1}),
    );
    assert_eq!(
        failed(call(missing_env, &conf).await.0),
        "KeyError: 'CHAOS_TOXI_UNSET_VARIABLE'"
    );
}
