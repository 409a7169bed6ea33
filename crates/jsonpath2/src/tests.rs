//! Unit tests. Expected values marked "oracle" were produced by running the
//! same paths through python-jsonpath2 0.4.5 (the reference's version).

use super::*;
use serde_json::{json, Value};

fn find(path: &str, doc: &Value) -> Vec<Value> {
    JsonPath::parse(path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .find(doc)
}

fn parse_err(path: &str) -> ParseError {
    match JsonPath::parse(path) {
        Ok(p) => panic!("{path} should not parse: {p:?}"),
        Err(e) => e,
    }
}

/// The target's `/json` body used by the conformance cases.
fn target_body() -> Value {
    json!({"status":"ok","version":"1.2.3","count":2,"items":[
        {"name":"a","healthy":true,"weight":3},
        {"name":"b","healthy":false,"weight":5}]})
}

fn d2() -> Value {
    json!({"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,
           "i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],
           "x":{"true":1,"and":2,"length":3}})
}

#[derive(Clone, Copy)]
enum Doc {
    D1,
    D2,
}
use Doc::{D1, D2};

/// (document, path, expected matches as JSON, or `ZERO` for jsonpath2's
/// `range() arg 3 must not be zero`). Oracle.
const ORACLE: &[(Doc, &str, &str)] = &[
    (
        D2,
        r#"$"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (D1, r#"$.items[*].name"#, r#"["a","b"]"#),
    (D1, r#"$.items[*][?(@.healthy = true)].name"#, r#"["a"]"#),
    (D1, r#"$.items[?(@.healthy = true)]"#, r#"[]"#),
    (D1, r#"$.items.*[?(@.weight > 3)].name"#, r#"["b"]"#),
    (D2, r#"$..name"#, r#"[]"#),
    (
        D2,
        r#"$..*"#,
        r#"[{"b":1,"c":[1,2,{"b":"x"}]},[0,1,2,3,4,5],"héllo",true,null,2,"c",{},[],1.5,-2,["a","s"],{"true":1,"and":2,"length":3},1,[1,2,{"b":"x"}],1,2,{"b":"x"},"x",0,1,2,3,4,5,"a","s",1,2,3]"#,
    ),
    (D2, r#"$..[0]"#, r#"[1,0,"a"]"#),
    (D2, r#"$..["b"]"#, r#"[[0,1,2,3,4,5],1,"x"]"#),
    (
        D2,
        r#"$..[?(@.b)]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}},{"b":1,"c":[1,2,{"b":"x"}]},{"b":"x"}]"#,
    ),
    (D2, r#"$..b..*"#, r#"[0,1,2,3,4,5]"#),
    (D2, r#"$.b[::0]"#, r#"ZERO"#),
    (D2, r#"$.s[::0]"#, r#"[]"#),
    (D2, r#"$.b[1::0]"#, r#"ZERO"#),
    (D2, r#"$.b[::-1]"#, r#"[]"#),
    (D2, r#"$.b[4:1:-2]"#, r#"[4,2]"#),
    (D2, r#"$.b[-2:]"#, r#"[4,5]"#),
    (D2, r#"$.b[:-2]"#, r#"[0,1,2,3]"#),
    (D2, r#"$.b[-100:2]"#, r#"[0,1]"#),
    (D2, r#"$.b[1:100]"#, r#"[1,2,3,4,5]"#),
    (D2, r#"$.b[3:1]"#, r#"[]"#),
    (D2, r#"$.b[99999999999999999999999:]"#, r#"[]"#),
    (D2, r#"$.b[-99999999999999999999999:]"#, r#"[0,1,2,3,4,5]"#),
    (D2, r#"$.b[::99999999999999999999999]"#, r#"[0]"#),
    (D2, r#"$.b[0, 0, -1, 9]"#, r#"[0,0,5]"#),
    (D2, r#"$.b[-0]"#, r#"[0]"#),
    (D2, r#"$.s.length()"#, r#"[5]"#),
    (D2, r#"$.s.charAt(1)"#, r#"["é"]"#),
    (D2, r#"$.s.charAt(-1)"#, r#"["o"]"#),
    (D2, r#"$.s.charAt(5)"#, r#"[]"#),
    (D2, r#"$.s.charAt(-6)"#, r#"[]"#),
    (D2, r#"$.s.charAt(true)"#, r#"["é"]"#),
    (D2, r#"$.s.charAt(1.0)"#, r#"[]"#),
    (D2, r#"$.s.charAt("1")"#, r#"[]"#),
    (D2, r#"$.s.charAt()"#, r#"[]"#),
    (D2, r#"$.s.charAt(1, 2)"#, r#"[]"#),
    (D2, r#"$.s.substring(1)"#, r#"["éllo"]"#),
    (D2, r#"$.s.substring(-2)"#, r#"["lo"]"#),
    (D2, r#"$.s.substring(1, -1)"#, r#"["éll"]"#),
    (D2, r#"$.s.substring(3, 1)"#, r#"[""]"#),
    (D2, r#"$.s.substring(99999999999999999999999)"#, r#"[""]"#),
    (
        D2,
        r#"$.s.substring(0, 99999999999999999999999)"#,
        r#"["héllo"]"#,
    ),
    (
        D2,
        r#"$.s.substring(-99999999999999999999999)"#,
        r#"["héllo"]"#,
    ),
    (D2, r#"$.s.substring($.i)"#, r#"["llo"]"#),
    (
        D2,
        r#"$.s.substring($.b[*])"#,
        r#"["héllo","éllo","llo","lo","o",""]"#,
    ),
    (
        D2,
        r#"$.s.substring($.b[1:3], $.b[3:5])"#,
        r#"["él","éll","l","ll"]"#,
    ),
    (D2, r#"$.s.substring($.nothing)"#, r#"[]"#),
    (D2, r#"$.s[substring(2)]"#, r#"["llo"]"#),
    (D2, r#"$.a.keys()"#, r#"[["b","c"]]"#),
    (D2, r#"$.b.keys()"#, r#"[[0,1,2,3,4,5]]"#),
    (D2, r#"$.a.values()"#, r#"[[1,[1,2,{"b":"x"}]]]"#),
    (D2, r#"$.b.values()"#, r#"[[0,1,2,3,4,5]]"#),
    (
        D2,
        r#"$.a.entries()"#,
        r#"[[["b",1],["c",[1,2,{"b":"x"}]]]]"#,
    ),
    (
        D2,
        r#"$.b.entries()"#,
        r#"[[[0,0],[1,1],[2,2],[3,3],[4,4],[5,5]]]"#,
    ),
    (D2, r#"$.e.keys()"#, r#"[[]]"#),
    (D2, r#"$.l.length()"#, r#"[0]"#),
    (D2, r#"$.a.length()"#, r#"[]"#),
    (D2, r#"$.length"#, r#"[]"#),
    (D2, r#"$.x.length"#, r#"[3]"#),
    (D2, r#"$.x.length()"#, r#"[]"#),
    (D2, r#"$.x["true"]"#, r#"[1]"#),
    (D2, r#"$.x["and"]"#, r#"[2]"#),
    (D2, r#"$.a[$.k]"#, r#"[[1,2,{"b":"x"}]]"#),
    (D2, r#"$.b[$.i]"#, r#"[2]"#),
    (D2, r#"$.b[$.t]"#, r#"[1]"#),
    (D2, r#"$.b[$.f]"#, r#"[]"#),
    (D2, r#"$.a[$.ks[*]]"#, r#"[]"#),
    (
        D2,
        r#"$[$.ks[*]]"#,
        r#"[{"b":1,"c":[1,2,{"b":"x"}]},"héllo"]"#,
    ),
    (D2, r#"$.a[@.k]"#, r#"[]"#),
    (D2, r#"$.b[@[0]]"#, r#"[0]"#),
    (
        D2,
        r#"$[?(@.a.b = 1)]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (
        D2,
        r#"$[?(@.a.b = 1.0)]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (
        D2,
        r#"$[?(@.t = 1)]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (
        D2,
        r#"$[?(@.f > 1)]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (
        D2,
        r#"$[?(@.f > true)]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (D2, r#"$[?(@.s > 1)]"#, r#"[]"#),
    (
        D2,
        r#"$[?(@.s = "héllo")]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (
        D2,
        r#"$[?(@.b[*] = 3)]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (
        D2,
        r#"$[?(@.b[*] > 4)]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (
        D2,
        r#"$[?(3 = @.b[*])]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (D2, r#"$[?(@.b[*] = @.i)]"#, r#"[]"#),
    (
        D2,
        r#"$[?(@.i = @.b[*])]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (
        D2,
        r#"$[?(@.b[*] != 0)]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (
        D2,
        r#"$[?(@.b[*] != @.b[*])]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (
        D2,
        r#"$[?(@.n = null)]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (
        D2,
        r#"$[?(@.n)]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (D2, r#"$[?(@.nothing)]"#, r#"[]"#),
    (
        D2,
        r#"$[?(not @.nothing)]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (D2, r#"$[?(not not @.nothing)]"#, r#"[]"#),
    (
        D2,
        r#"$[?(@.e = {})]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (
        D2,
        r#"$[?(@.l = [])]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (
        D2,
        r#"$[?(@.a.c = [1, 2, {"b": "x"}])]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (
        D2,
        r#"$[?(@.a = {"c": [1,2,{"b":"x"}], "b": 1})]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (
        D2,
        r#"$[?(@.a = {"b": 1, "c": [1,2,{"b":"x"}]})]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (
        D2,
        r#"$[?({"a":1,"a":2} = {"a":2})]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (
        D2,
        r#"$[?(true)]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (D2, r#"$[?(false)]"#, r#"[]"#),
    (D2, r#"$[?(0)]"#, r#"[]"#),
    (D2, r#"$[?(0.0)]"#, r#"[]"#),
    (D2, r#"$[?("")]"#, r#"[]"#),
    (
        D2,
        r#"$[?("x")]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (D2, r#"$[?([])]"#, r#"[]"#),
    (
        D2,
        r#"$[?([0])]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (D2, r#"$[?({})]"#, r#"[]"#),
    (D2, r#"$[?(null)]"#, r#"[]"#),
    (
        D2,
        r#"$[?(1e999 > 5)]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (
        D2,
        r#"$[?(-1e999 < -5)]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (
        D2,
        r#"$[?(@.i > 1 and @.i < 3)]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (
        D2,
        r#"$[?(@.i > 5 or @.i < 3 and @.t)]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (
        D2,
        r#"$[?(@.i < 3 and @.t or @.nothing)]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (D2, r#"$[?(false and false or true)]"#, r#"[]"#),
    (D2, r#"$[?(true or false and false)]"#, r#"[]"#),
    (D2, r#"$[?((true or false) and false)]"#, r#"[]"#),
    (
        D2,
        r#"$[?(not true = false)]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (
        D2,
        r#"$[?(not (true and false))]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (
        D1,
        r#"$.items[*][?(@.name = "a" or @.name = "b")].weight"#,
        r#"[3,5]"#,
    ),
    (
        D1,
        r#"$.items[?(@[*].name)]"#,
        r#"[[{"name":"a","healthy":true,"weight":3},{"name":"b","healthy":false,"weight":5}]]"#,
    ),
    (D2, r#"$["a"]["b"]"#, r#"[1]"#),
    (D2, r#"$["a\"b"]"#, r#"[]"#),
    (D2, r#"$["a\u0041"]"#, r#"[]"#),
    (D2, r#"$["s", "i"]"#, r#"["héllo",2]"#),
    (D2, r#"$[ "s" , "i" ]"#, r#"["héllo",2]"#),
    (D1, r#"$ . items [ 0 ] . name"#, r#"["a"]"#),
    (D1, r#"$..items[?(@.weight >= 5)].name"#, r#"[]"#),
    (D1, r#"$.items[0:1].name"#, r#"["a"]"#),
    (D2, r#"$..[?(@ = 1)]"#, r#"[1,1,1,true,1]"#),
    (D2, r#"$..[?(@ = "x")]"#, r#"["x"]"#),
    (D2, r#"$..[?(@.b = "x")]"#, r#"[{"b":"x"}]"#),
    (D2, r#"$.a.c[?(@[2].b)]"#, r#"[[1,2,{"b":"x"}]]"#),
    (D2, r#"$.a.c[-1][?(@.b = "x")].b"#, r#"["x"]"#),
    (
        D2,
        r#"$[?(@..b = "x")]"#,
        r#"[{"a":{"b":1,"c":[1,2,{"b":"x"}]},"b":[0,1,2,3,4,5],"s":"héllo","t":true,"n":null,"i":2,"k":"c","e":{},"l":[],"f":1.5,"neg":-2,"ks":["a","s"],"x":{"true":1,"and":2,"length":3}}]"#,
    ),
    (D2, r#"$[?($.i = 2)].s"#, r#"["héllo"]"#),
    (D2, r#"$.b[?($.i)]"#, r#"[[0,1,2,3,4,5]]"#),
    (D2, r#"$.b.*[?(@ > 2)]"#, r#"[3,4,5]"#),
    (D2, r#"$.b[*][?(@ > 2)]"#, r#"[3,4,5]"#),
    (D2, r#"$.b..*"#, r#"[0,1,2,3,4,5]"#),
    (
        D1,
        r#"$..["items"][0]"#,
        r#"[{"name":"a","healthy":true,"weight":3}]"#,
    ),
    (D1, r#"$..items..name"#, r#"["a","b"]"#),
    (D2, r#"$..length()"#, r#"[3,1,6,5,1,0,2,1,1]"#),
    (
        D2,
        r#"$..keys()"#,
        r#"[["a","b","s","t","n","i","k","e","l","f","neg","ks","x"],["b","c"],[0,1,2],["b"],[0,1,2,3,4,5],[],[],[0,1],["true","and","length"]]"#,
    ),
    (D2, r#"$.*.length()"#, r#"[6,5,1,0,2]"#),
    (
        D1,
        r#"$.items[*][keys()]"#,
        r#"[["name","healthy","weight"],["name","healthy","weight"]]"#,
    ),
    (D1, r#"$.items[*][length()]"#, r#"[]"#),
    (
        D2,
        r#"$[*]"#,
        r#"[{"b":1,"c":[1,2,{"b":"x"}]},[0,1,2,3,4,5],"héllo",true,null,2,"c",{},[],1.5,-2,["a","s"],{"true":1,"and":2,"length":3}]"#,
    ),
    (
        D2,
        r#"$[*][*]"#,
        r#"[1,[1,2,{"b":"x"}],0,1,2,3,4,5,"a","s",1,2,3]"#,
    ),
    (
        D1,
        r#"$.items[?(@)]"#,
        r#"[[{"name":"a","healthy":true,"weight":3},{"name":"b","healthy":false,"weight":5}]]"#,
    ),
];

#[test]
fn oracle_table() {
    for &(doc, path, expected) in ORACLE {
        let doc = match doc {
            D1 => target_body(),
            D2 => d2(),
        };
        let parsed = JsonPath::parse(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let got = parsed.try_find(&doc);
        if expected == "ZERO" {
            assert_eq!(got, Err(EvalError::ZeroSliceStep), "{path}");
            assert!(parsed.find(&doc).is_empty());
        } else {
            let expected: Vec<Value> = serde_json::from_str(expected).unwrap();
            // serde_json's `==` tells 1, 1.0 and true apart, as the oracle's
            // JSON output does.
            assert_eq!(got, Ok(expected), "{path}");
        }
    }
}

// ---------------------------------------------------------------------------
// The spec's examples (§4.6, Appendix A).

#[test]
fn spec_examples() {
    assert_eq!(
        find("$..*", &json!({"a":{"b":1}})),
        vec![json!({"b":1}), json!(1)]
    );
    let doc = json!({"a":[1,1]});
    assert_eq!(find("$.a[*]", &doc), vec![json!(1), json!(1)]);
    assert_eq!(find("$.a", &doc), vec![json!([1, 1])]);
    // `$.foo[?(@.baz="hello")]` matches when foo *is* an object with baz.
    assert_eq!(
        find(
            r#"$.foo[?(@.baz="hello")]"#,
            &json!({"foo":{"baz":"hello"}})
        ),
        vec![json!({"baz":"hello"})]
    );
    assert!(find(
        r#"$.foo[?(@.baz="hello")]"#,
        &json!({"foo":[{"baz":"hello"}]})
    )
    .is_empty());
    // `$.a[?(@.b > 1)]` on a list yields nothing; filter the elements instead.
    let doc = json!({"a":[{"b":1},{"b":2}]});
    assert!(find("$.a[?(@.b > 1)]", &doc).is_empty());
    assert_eq!(find("$.a[*][?(@.b > 1)]", &doc), vec![json!({"b":2})]);
    assert_eq!(
        find("$.a.*[?(@.b)]", &doc),
        vec![json!({"b":1}), json!({"b":2})]
    );
    // `$.a[$.t]` with `t: true` indexes 1.
    assert_eq!(
        find("$.a[$.t]", &json!({"a":["x","y"],"t":true})),
        vec![json!("y")]
    );
}

// ---------------------------------------------------------------------------
// Each syntax element.

#[test]
fn root_and_dot_names() {
    let doc = json!({"a":{"b_2":{"_c":3}}});
    assert_eq!(find("$", &doc), vec![doc.clone()]);
    assert_eq!(find("$.a.b_2._c", &doc), vec![json!(3)]);
    assert!(find("$.a.missing", &doc).is_empty());
    // Keys on non-mappings and indices on non-lists yield nothing.
    assert!(find("$.a.b_2._c.d", &doc).is_empty());
    assert!(find("$[0]", &doc).is_empty());
    assert!(find("$.x", &json!([{"x":1}])).is_empty());
    // Keywords are matched as whole words only.
    assert_eq!(
        find(
            "$.android.notes.order.nullable",
            &json!({"android":{"notes":{"order":{"nullable":1}}}})
        ),
        vec![json!(1)]
    );
}

#[test]
fn whitespace_between_tokens_is_ignored() {
    let doc = target_body();
    assert_eq!(find(" $ . items [ 0 ] . name ", &doc), vec![json!("a")]);
    assert_eq!(
        find(
            "$\n.items\t[ * ]\r\n[ ? ( @ . healthy = true ) ] . name",
            &doc
        ),
        vec![json!("a")]
    );
    assert_eq!(find("$.. name", &doc), vec![json!("a"), json!("b")]);
}

#[test]
fn quoted_keys_are_verbatim() {
    let doc = json!({"a b":1, "a.b":2, "length":3, "true":4, "é":5, "a\\\"b":6, "a\"b":7});
    assert_eq!(find(r#"$["a b"]"#, &doc), vec![json!(1)]);
    assert_eq!(find(r#"$["a.b"]"#, &doc), vec![json!(2)]);
    assert_eq!(find(r#"$["length"]"#, &doc), vec![json!(3)]);
    assert_eq!(find(r#"$["true"]"#, &doc), vec![json!(4)]);
    assert_eq!(find(r#"$["é"]"#, &doc), vec![json!(5)]);
    // jsonpath2 does not decode escapes: `"a\"b"` is the key a, \, ", b.
    assert_eq!(find(r#"$["a\"b"]"#, &doc), vec![json!(6)]);
}

#[test]
fn wildcard_order() {
    let doc = json!({"z":1,"a":[2,3],"m":{"k":4}});
    assert_eq!(
        find("$.*", &doc),
        vec![json!(1), json!([2, 3]), json!({"k":4})]
    );
    assert_eq!(find("$[*]", &doc), find("$.*", &doc));
    assert_eq!(find("$.a.*", &doc), vec![json!(2), json!(3)]);
    // Strings are not iterable.
    assert!(find("$.*", &json!("abc")).is_empty());
    assert!(find("$.*.*", &json!({"s":"abc"})).is_empty());
}

#[test]
fn recursive_descent_is_depth_first_preorder() {
    let doc = json!({"a":{"a":1,"b":{"a":2}},"c":[{"a":3}]});
    assert_eq!(
        find("$..a", &doc),
        vec![json!({"a":1,"b":{"a":2}}), json!(1), json!(2), json!(3)]
    );
    assert_eq!(
        find("$..*", &json!({"x":[1,{"y":2}],"z":3})),
        vec![
            json!([1, {"y":2}]),
            json!(3),
            json!(1),
            json!({"y":2}),
            json!(2)
        ]
    );
    // The rest of the path runs on each match before descending further.
    assert_eq!(find("$..a.a", &doc), vec![json!(1)]);
    assert_eq!(
        find("$..[0]", &json!([[1, [2]], 3])),
        vec![json!([1, [2]]), json!(1), json!(2)]
    );
    assert_eq!(find(r#"$..["a","c"]"#, &doc).len(), 5);
    assert_eq!(find("$..[?(@.a = 2)]", &doc), vec![json!({"a":2})]);
}

#[test]
fn unions_are_selector_major() {
    let doc = json!({"a":[{"x":1},{"x":2}],"b":{"x":3}});
    assert_eq!(
        find(r#"$["b","a"]"#, &doc),
        vec![json!({"x":3}), json!([{"x":1},{"x":2}])]
    );
    assert_eq!(
        find(r#"$.a[1,0,1].x"#, &doc),
        vec![json!(2), json!(1), json!(2)]
    );
    assert_eq!(
        find(r#"$.a[0, *]"#, &doc),
        vec![json!({"x":1}), json!({"x":1}), json!({"x":2})]
    );
}

#[test]
fn indices() {
    let doc = json!([10, 11, 12]);
    assert_eq!(find("$[0]", &doc), vec![json!(10)]);
    assert_eq!(find("$[2]", &doc), vec![json!(12)]);
    assert!(find("$[3]", &doc).is_empty());
    assert_eq!(find("$[-1]", &doc), vec![json!(12)]);
    assert_eq!(find("$[-3]", &doc), vec![json!(10)]);
    assert!(find("$[-4]", &doc).is_empty());
    assert_eq!(find("$[-0]", &doc), vec![json!(10)]);
    assert!(find("$[99999999999999999999999]", &doc).is_empty());
    assert!(find("$[-99999999999999999999999]", &doc).is_empty());
    assert!(find("$[0]", &json!("abc")).is_empty());
    assert!(find("$[0]", &json!({"0": 1})).is_empty());
}

#[test]
fn slices() {
    let doc = json!([0, 1, 2, 3, 4]);
    let s = |p: &str| find(p, &doc);
    assert_eq!(s("$[1:3]"), vec![json!(1), json!(2)]);
    assert_eq!(s("$[:2]"), vec![json!(0), json!(1)]);
    assert_eq!(s("$[3:]"), vec![json!(3), json!(4)]);
    assert_eq!(s("$[:]"), s("$[*]"));
    assert_eq!(s("$[::]"), s("$[*]"));
    assert_eq!(s("$[::2]"), vec![json!(0), json!(2), json!(4)]);
    assert_eq!(s("$[1::2]"), vec![json!(1), json!(3)]);
    assert_eq!(s("$[:4:3]"), vec![json!(0), json!(3)]);
    assert_eq!(s("$[-2:]"), vec![json!(3), json!(4)]);
    assert_eq!(s("$[:-3]"), vec![json!(0), json!(1)]);
    // Negative steps: Python's range, then each value indexes again.
    assert!(s("$[::-1]").is_empty());
    assert_eq!(s("$[3:1:-1]"), vec![json!(3), json!(2)]);
    assert_eq!(
        s("$[:-10:-1]"),
        vec![json!(0), json!(4), json!(3), json!(2), json!(1)]
    ); // oracle
       // Huge bounds stay fast (jsonpath2 would enumerate them one by one).
    assert_eq!(
        s("$[0:99999999999999999999:2]"),
        vec![json!(0), json!(2), json!(4)]
    );
    assert_eq!(s("$[99999999999999999999:2:-1]"), vec![json!(4), json!(3)]);
    // Not on strings or mappings.
    assert!(find("$[0:2]", &json!("abc")).is_empty());
    assert!(find("$[0:2]", &json!({"a":1})).is_empty());
}

#[test]
fn zero_step_is_an_error_only_on_lists() {
    let p = JsonPath::parse("$.a[::0]").unwrap();
    assert_eq!(p.try_find(&json!({"a":[1]})), Err(EvalError::ZeroSliceStep));
    assert!(p.find(&json!({"a":[1]})).is_empty());
    assert_eq!(p.try_find(&json!({"a":"s"})), Ok(vec![]));
    // A filter stops at its first match, before reaching the bad slice.
    let p = JsonPath::parse("$[?(@[0, ::0])]").unwrap();
    assert_eq!(p.try_find(&json!([1])), Ok(vec![json!([1])]));
    assert_eq!(p.try_find(&json!([])), Err(EvalError::ZeroSliceStep));
}

#[test]
fn filters_apply_to_the_current_node() {
    let doc = target_body();
    assert_eq!(
        find("$.items[*][?(@.healthy = true)].name", &doc),
        vec![json!("a")]
    );
    assert_eq!(
        find("$.items[*][?(@.healthy = false)].name", &doc),
        vec![json!("b")]
    );
    assert!(find("$.items[?(@.healthy = true)]", &doc).is_empty());
    assert_eq!(
        find("$[?(@.status = \"ok\")].version", &doc),
        vec![json!("1.2.3")]
    );
    assert_eq!(
        find("$.items[?(@[0].name = \"a\")][1].name", &doc),
        vec![json!("b")]
    );
    // A filter on a scalar.
    assert_eq!(find("$.count[?(@ = 2)]", &doc), vec![json!(2)]);
    assert_eq!(find("$.items[*].weight[?(@ > 4)]", &doc), vec![json!(5)]);
}

#[test]
fn boolean_operators() {
    let doc = json!([{"a":1,"b":1},{"a":1,"b":2},{"a":2,"b":1},{"a":2,"b":2}]);
    let names = |p: &str| find(&format!("$[*][{p}]"), &doc).len();
    assert_eq!(names("?(@.a = 1 and @.b = 1)"), 1);
    assert_eq!(names("?(@.a = 1 or @.b = 1)"), 3);
    assert_eq!(names("?(not @.a = 1)"), 2);
    assert_eq!(names("?(not not @.a = 1)"), 2);
    assert_eq!(names("?(not (@.a = 1 or @.b = 1))"), 1);
    assert_eq!(names("?((@.a = 1))"), 2);
    // `or` binds tighter than `and` (JSONPath.g4): a or b and c = (a or b) and c.
    assert_eq!(names("?(@.a = 2 or @.b = 2 and @.a = 1)"), 1);
    assert_eq!(names("?(@.a = 1 and @.b = 2 or @.b = 1)"), 2);
    assert!(find("$[?(true or false and false)]", &json!(1)).is_empty()); // oracle
    assert_eq!(
        find("$[?(false and false or true)]", &json!(1)),
        Vec::<Value>::new()
    ); // oracle
}

#[test]
fn comparison_operators() {
    let doc = json!([1, 2, 3]);
    let m = |op: &str| find(&format!("$[*][?(@ {op} 2)]"), &doc);
    assert_eq!(m("="), vec![json!(2)]);
    assert_eq!(m("!="), vec![json!(1), json!(3)]);
    assert_eq!(m("<"), vec![json!(1)]);
    assert_eq!(m("<="), vec![json!(1), json!(2)]);
    assert_eq!(m(">"), vec![json!(3)]);
    assert_eq!(m(">="), vec![json!(2), json!(3)]);
    // Literal on the left, path on the right.
    assert_eq!(find("$[*][?(2 < @)]", &doc), vec![json!(3)]);
    // Strings: equality only; no ordering.
    let doc = json!(["a", "b"]);
    assert_eq!(find(r#"$[*][?(@ = "b")]"#, &doc), vec![json!("b")]);
    assert!(find(r#"$[*][?(@ < "b")]"#, &doc).is_empty());
    assert!(find(r#"$[*][?(@ >= "a")]"#, &doc).is_empty());
    // Structural equality with JSON literals.
    let doc = json!({"l":[1,{"k":null}],"o":{"x":[true]}});
    assert_eq!(
        find(r#"$[?(@.l = [1, {"k": null}])].o.x"#, &doc),
        vec![json!([true])]
    );
    assert_eq!(
        find(r#"$[?(@.o = {"x": [true]})].l[0]"#, &doc),
        vec![json!(1)]
    );
    assert!(find(r#"$[?(@.l = [1])]"#, &doc).is_empty());
    assert_eq!(find("$[?(@.l[1].k = null)].l[0]", &doc), vec![json!(1)]);
}

#[test]
fn ordering_only_between_numbers_bools_count() {
    let doc = json!([true, false, 0.5, "2", null, [3], 2]);
    assert_eq!(
        find("$[*][?(@ > 0)]", &doc),
        vec![json!(true), json!(0.5), json!(2)]
    );
    assert_eq!(find("$[*][?(@ >= 1.0)]", &doc), vec![json!(true), json!(2)]);
    assert!(find("$[?(\"b\" > \"a\")]", &json!(1)).is_empty());
    assert!(find("$[?(null < 1)]", &json!(1)).is_empty());
    assert_eq!(find("$[?(1e999 > 5)]", &json!(1)), vec![json!(1)]); // oracle (float inf)
}

/// Relies on `chaos_pyvalue::py_eq` (Python `==`): `1 == 1.0 == True`.
#[test]
fn equality_is_python_eq() {
    let doc = json!([1, 1.0, true, "1", [1], 0, false]);
    assert_eq!(
        find("$[*][?(@ = 1)]", &doc),
        vec![json!(1), json!(1.0), json!(true)]
    );
    assert_eq!(
        find("$[*][?(@ = true)]", &doc),
        vec![json!(1), json!(1.0), json!(true)]
    );
    assert_eq!(find("$[*][?(@ = [1.0])]", &doc), vec![json!([1])]);
    assert_eq!(find("$[*][?(@ != 0)]", &doc).len(), 5);
}

#[test]
fn comparisons_are_existential() {
    let doc = json!({"a":[1,2],"b":[2],"c":[]});
    let root = || vec![doc.clone()];
    assert_eq!(find("$[?(@.a[*] = 2)]", &doc), root());
    assert_eq!(find("$[?(2 = @.a[*])]", &doc), root());
    assert_eq!(find("$[?(@.a[*] != 1)]", &doc), root());
    assert!(find("$[?(@.c[*] = 2)]", &doc).is_empty());
    assert!(find("$[?(@.c[*] != 2)]", &doc).is_empty());
    assert!(find("$[?(@.missing = null)]", &doc).is_empty());
    // Both sides paths: jsonpath2 compares only the first left value (the
    // right side's generator is exhausted by it). Oracle.
    assert_eq!(find("$[?(@.b[*] = @.a[*])]", &doc), root());
    assert!(find("$[?(@.a[*] = @.b[*])]", &doc).is_empty());
    assert_eq!(find("$[?(@.a[0] < @.a[*])]", &doc), root());
}

#[test]
fn existence_and_truthiness() {
    let doc = json!([{"a":null},{"a":false},{"b":1},{"a":0}]);
    // A bare path tests existence, whatever the value.
    assert_eq!(find("$[*][?(@.a)]", &doc).len(), 3);
    assert_eq!(find("$[*][?(not @.a)]", &doc), vec![json!({"b":1})]);
    assert_eq!(find("$[?(@[*].b)]", &doc).len(), 1);
    // A bare literal is Python truthiness.
    for (lit, truthy) in [
        ("true", true),
        ("false", false),
        ("null", false),
        ("0", false),
        ("0.0", false),
        ("-1", true),
        (r#""""#, false),
        (r#""x""#, true),
        ("[]", false),
        ("[0]", true),
        ("{}", false),
        (r#"{"a":null}"#, true),
    ] {
        assert_eq!(
            find(&format!("$[?({lit})]"), &json!(1)).len(),
            usize::from(truthy),
            "{lit}"
        );
    }
}

#[test]
fn root_paths_inside_filters() {
    let doc = json!({"limit":4,"items":[3,5,4]});
    assert_eq!(
        find("$.items[*][?(@ >= $.limit)]", &doc),
        vec![json!(5), json!(4)]
    );
    assert_eq!(find("$.items[?($.limit)]", &doc), vec![json!([3, 5, 4])]);
    assert!(find("$.items[?($.nothing)]", &doc).is_empty());
}

#[test]
fn embedded_paths_as_keys_and_indices() {
    let doc = json!({"a":["x","y","z"],"m":{"k":"y","y":"w"},"i":-1,"k":"k","f":1.0,"t":true,"many":[0,"k",2]});
    assert_eq!(find("$.a[$.i]", &doc), vec![json!("z")]);
    assert_eq!(find("$.a[$.t]", &doc), vec![json!("y")]);
    assert!(find("$.a[$.f]", &doc).is_empty()); // floats are not indices
    assert_eq!(find("$.m[$.k]", &doc), vec![json!("y")]);
    assert!(find("$.m[$.i]", &doc).is_empty());
    assert_eq!(find("$.a[$.many[*]]", &doc), vec![json!("x"), json!("z")]);
    assert_eq!(find("$.m[$.a[*]]", &doc), vec![json!("w")]);
    // `@` inside brackets is the node being subscripted.
    assert_eq!(find("$.m[@.k]", &doc), vec![json!("w")]);
    assert_eq!(find("$.a[$.a.length()]", &doc), Vec::<Value>::new());
    assert_eq!(
        find("$.a[$.many[2], 0]", &doc),
        vec![json!("z"), json!("x")]
    );
}

#[test]
fn functions() {
    let doc = json!({"s":"héllo","l":[1,2,3],"m":{"b":1,"a":[2]},"n":5,"i":1});
    // Both spellings: `.fn(args)` and `[fn(args)]`.
    assert_eq!(find("$.s.length()", &doc), vec![json!(5)]);
    assert_eq!(find("$.s[length()]", &doc), vec![json!(5)]);
    assert_eq!(find("$.l.length()", &doc), vec![json!(3)]);
    assert!(find("$.m.length()", &doc).is_empty());
    assert!(find("$.n.length()", &doc).is_empty());
    assert!(find("$.s.length(1)", &doc).is_empty());
    assert_eq!(find("$.s.charAt(1)", &doc), vec![json!("é")]);
    assert_eq!(find("$.s.charAt(-1)", &doc), vec![json!("o")]);
    assert_eq!(find("$.s.charAt(true)", &doc), vec![json!("é")]);
    assert!(find("$.s.charAt(5)", &doc).is_empty());
    assert!(find("$.s.charAt(1.0)", &doc).is_empty());
    assert!(find("$.s.charAt()", &doc).is_empty());
    assert!(find("$.l.charAt(0)", &doc).is_empty());
    assert_eq!(find("$.s.substring(1)", &doc), vec![json!("éllo")]);
    assert_eq!(find("$.s.substring(1, 3)", &doc), vec![json!("él")]);
    assert_eq!(find("$.s.substring(-2)", &doc), vec![json!("lo")]);
    assert_eq!(find("$.s.substring(3, 1)", &doc), vec![json!("")]);
    assert_eq!(
        find("$.s.substring(0, 99999999999999999999999)", &doc),
        vec![json!("héllo")]
    ); // oracle
    assert_eq!(find("$.s.substring($.i)", &doc), vec![json!("éllo")]);
    assert_eq!(
        find("$.s.substring($.l[*])", &doc),
        vec![json!("éllo"), json!("llo"), json!("lo")]
    );
    assert_eq!(
        find("$.s.substring($.l[0,1], $.l[1,2])", &doc),
        vec![json!("é"), json!("él"), json!(""), json!("l")]
    );
    assert!(find("$.s.substring($.nothing)", &doc).is_empty());
    assert_eq!(find("$.m.keys()", &doc), vec![json!(["b", "a"])]);
    assert_eq!(find("$.l.keys()", &doc), vec![json!([0, 1, 2])]);
    assert_eq!(find("$.m.values()", &doc), vec![json!([1, [2]])]);
    assert_eq!(find("$.l.values()", &doc), vec![json!([1, 2, 3])]);
    assert_eq!(
        find("$.m.entries()", &doc),
        vec![json!([["b", 1], ["a", [2]]])]
    );
    assert_eq!(
        find("$.l.entries()", &doc),
        vec![json!([[0, 1], [1, 2], [2, 3]])]
    );
    assert!(find("$.s.keys()", &doc).is_empty());
    // Function results can be subscripted further.
    assert_eq!(find("$.m.keys()[0]", &doc), vec![json!("b")]);
    assert_eq!(find("$.m.values()[1][0]", &doc), vec![json!(2)]);
    assert_eq!(
        find("$.m.entries()[*][0]", &doc),
        vec![json!("b"), json!("a")]
    );
    assert_eq!(find("$.m.entries()..*", &doc).len(), 7);
    // And used in filters.
    assert_eq!(find("$.*[?(@.length() > 3)]", &doc), vec![json!("héllo")]);
    assert_eq!(
        find("$..[?(@.keys()[0] = \"b\")]", &doc),
        vec![json!({"b":1,"a":[2]})]
    );
}

#[test]
fn bare_length_is_a_key() {
    let doc = json!({"length":7,"s":"abc"});
    assert_eq!(find("$.length", &doc), vec![json!(7)]);
    assert!(find("$.s.length", &doc).is_empty());
    assert_eq!(find("$.s.length()", &doc), vec![json!(3)]);
}

#[test]
fn literal_numbers() {
    let doc = json!([1, 1.5, -2, 100]);
    assert_eq!(find("$[*][?(@ = -2)]", &doc), vec![json!(-2)]);
    assert_eq!(find("$[*][?(@ = 1.5)]", &doc), vec![json!(1.5)]);
    assert_eq!(find("$[*][?(@ = 15e-1)]", &doc), vec![json!(1.5)]);
    assert_eq!(find("$[*][?(@ = 1E2)]", &doc), vec![json!(100)]);
    assert_eq!(find("$[*][?(@ < -0)]", &doc), vec![json!(-2)]);
    assert_eq!(
        find("$[*][?(@ > 99999999999999999999999)]", &doc),
        Vec::<Value>::new()
    );
}

// ---------------------------------------------------------------------------
// Invalid paths.

#[test]
fn must_start_with_dollar() {
    for p in [
        "foo[*].baz",
        "",
        "   ",
        "@.a",
        "a",
        ".a",
        "[0]",
        "*",
        "$.a".trim_start_matches('$'),
    ] {
        let e = parse_err(p);
        assert!(e.message.contains("a path starts with `$`"), "{p}: {e}");
    }
    assert_eq!(parse_err("foo[*].baz").offset, 0);
    assert_eq!(parse_err("  foo").offset, 2);
    assert!(parse_err("foo").message.contains("$.foo"));
}

#[test]
fn double_equals_is_rejected() {
    let e = parse_err("$.items[?(@.healthy == true)]");
    assert_eq!(e.message, "`==` is not jsonpath2: equality is a single `=`");
    assert_eq!(e.offset, 21);
    let e = parse_err("$[?(1 == 1)]");
    assert!(e.message.contains("single `=`"));
    let e = parse_err("$.a == 1");
    assert!(e.message.contains("inside a filter"), "{e}");
}

#[test]
fn single_quotes_are_rejected() {
    let e = parse_err("$['a']");
    assert_eq!(
        e.message,
        "single quotes are not allowed: use double quotes"
    );
    assert_eq!(e.offset, 2);
    let e = parse_err("$[?(@.a = 'x')]");
    assert_eq!(e.offset, 10);
    assert!(e.message.contains("single quotes"));
}

#[test]
fn unbalanced_brackets_are_rejected() {
    for (p, offset, needle) in [
        ("$.a[0", 3, "never closed"),
        ("$.a[0, 1", 3, "never closed"),
        ("$.a]", 3, "closes nothing"),
        ("$.a[0]]", 6, "closes nothing"),
        ("$[?(@.a = 1]", 11, "found `]`"),
        ("$[?(@.a = 1)", 1, "never closed"),
        ("$[?(@.a = 1", 11, "left open"),
        ("$[?((@.a = 1)]", 13, "found `]`"),
        ("$[?(@.a = 1))]", 12, "found `)`"),
        ("$.items[?", 9, "`(`"),
        ("$.a)", 3, "closes nothing"),
    ] {
        let e = parse_err(p);
        assert_eq!(e.offset, offset, "{p}: {e}");
        assert!(e.message.contains(needle), "{p}: {e}");
    }
}

#[test]
fn other_syntax_errors_are_explained() {
    for (p, offset, needle) in [
        ("$.true", 2, r#"write the key as `["true"]`"#),
        ("$.and", 2, "keyword"),
        ("$[null]", 2, "keyword"),
        ("$.1", 2, "`[1]`"),
        (r#"$."a""#, 2, r#"`["a"]`"#),
        ("$.", 2, "a name or `*`"),
        ("$..", 3, "a name or `*`"),
        ("$...a", 3, "a name or `*`"),
        ("$[]", 2, "empty brackets"),
        ("$[1,]", 4, "found `]`"),
        ("$[,1]", 2, "a key"),
        ("$[1.5]", 2, "integer"),
        ("$[1e2]", 2, "integer"),
        ("$[1:2.5]", 4, "integer"),
        ("$[01]", 3, "`,` or `]`"),
        ("$[1:2:3:4]", 7, "`,` or `]`"),
        ("$[-]", 2, "`-`"),
        ("$.a-b", 3, r#"`["a-b"]`"#),
        ("$.x.max-age", 7, r#"`["max-age"]`"#),
        (r#"$["a"].["b"]"#, 7, "brackets follow a step directly"),
        ("$.items[(@.length-1)]", 8, "script expressions"),
        ("$.a b", 4, "found `b`"),
        ("$[length]", 2, "`length()`"),
        ("$[foo()]", 2, "unknown function `foo`"),
        ("$.foo()", 2, "unknown function `foo`"),
        ("$.a!b", 3, "`not`"),
        ("$[?(@.a && @.b)]", 8, "`and`"),
        ("$[?(@.a || @.b)]", 8, "`or`"),
        ("$[?(@.a = )]", 10, "after the comparison"),
        ("$[?(= 1)]", 4, "a path, a JSON value"),
        ("$[?(@.a = 1 = 2)]", 12, "`)`"),
        ("$[?()]", 4, "a path, a JSON value"),
        ("$[?@.a]", 3, "?( expression )"),
        ("$[?(a = 1)]", 4, "`@.a`"),
        (r#"$[?(@.a = "x\q")]"#, 12, "invalid escape"),
        ("$[?(@.a = \"x\ny\")]", 12, "control characters"),
        (r#"$[?(@.a = "x)]"#, 10, "unterminated string"),
        ("$[?(@.a = {1: 2})]", 11, "key"),
        ("$[?(@.a = [1,])]", 13, "a JSON value"),
        ("$[?(@.a contains 1)]", 8, "found `contains`"),
        ("$[?(@.a = True)]", 10, "`@.True`"),
        ("$[?(@.a < = 1)]", 10, "after the comparison"),
        ("$ $", 2, "found `$`"),
        ("$[@ = 1]", 4, "inside a filter"),
        ("$[?(not)]", 7, "a path, a JSON value"),
        ("$\u{a0}", 1, "not whitespace"),
        ("$.é", 2, "unexpected character"),
    ] {
        let e = parse_err(p);
        assert_eq!(e.offset, offset, "{p}: {e}");
        assert!(e.message.contains(needle), "{p}: {e}");
    }
}

#[test]
fn error_display_carries_offset_and_message() {
    let e = parse_err("$['a']");
    assert_eq!(
        e.to_string(),
        "invalid JSON path at offset 2: single quotes are not allowed: use double quotes"
    );
}

#[test]
fn earlier_syntax_error_wins_over_later_bad_character() {
    // The parser fails at `]` before it reaches the stray `'`.
    let e = parse_err("$[]'");
    assert_eq!(e.offset, 2);
}

// ---------------------------------------------------------------------------
// Robustness: no panic, no stack overflow, no runaway work.

#[test]
fn nesting_is_limited() {
    let at_limit = format!("${}{}", "[$".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    let p = JsonPath::parse(&at_limit).unwrap_or_else(|e| panic!("{e}"));
    assert!(p.find(&json!({"a": 1})).is_empty());
    let deep = format!(
        "${}{}",
        "[$".repeat(MAX_DEPTH + 1),
        "]".repeat(MAX_DEPTH + 1)
    );
    assert!(parse_err(&deep).message.contains("deeper than 64"));
    let deep = format!("$[?({}true{})]", "(".repeat(200), ")".repeat(200));
    assert!(parse_err(&deep).message.contains("deeper than"));
    let deep = format!("$[?(@ = {}1{})]", "[".repeat(100_000), "]".repeat(100_000));
    assert!(parse_err(&deep).message.contains("deeper than"));
    let deep = format!("$[?(@ = {})]", "{\"a\":".repeat(1000));
    assert!(parse_err(&deep).message.contains("deeper than"));
    assert!(parse_err(&"$[".repeat(100_000))
        .message
        .contains("deeper than"));
}

#[test]
fn long_flat_paths_are_fine() {
    let doc = json!({"a":{"a":{"a":1}}});
    let long = format!("${}", ".a".repeat(100_000));
    assert!(find(&long, &doc).is_empty());
    let long = format!("$[?({}true)]", "not ".repeat(100_001));
    assert!(find(&long, &doc).is_empty());
    let long = format!("$[?(true{})]", " and true or false".repeat(50_000));
    assert_eq!(find(&long, &doc).len(), 1);
    let long = format!("${}", "[0]".repeat(100_000));
    assert!(find(&long, &json!([[[1]]])).is_empty());
}

#[test]
fn runaway_evaluations_hit_the_budget() {
    // A chain 40 levels deep: `..*` twelve times has billions of matches.
    let mut doc = json!(1);
    for _ in 0..40 {
        doc = json!({"a": doc});
    }
    let p = JsonPath::parse(&format!("${}", "..*".repeat(12))).unwrap();
    assert_eq!(
        p.try_find_with_budget(&doc, 2_000_000),
        Err(EvalError::BudgetExceeded { limit: 2_000_000 })
    );
    let p = JsonPath::parse("$..*..*").unwrap();
    assert!(p.try_find(&doc).unwrap().len() > 100);
    assert!(matches!(
        p.try_find_with_budget(&doc, 50),
        Err(EvalError::BudgetExceeded { limit: 50 })
    ));
    // Nested descents inside filters.
    let nested = "$..[?($..[?($..[?($..[?($..x)])])])]";
    let p = JsonPath::parse(nested).unwrap();
    let big = Value::Array((0..40).map(|i| json!({"k":[i, {"j":[i]}]})).collect());
    assert!(p.try_find_with_budget(&big, 1_000_000).is_err());
    // Function argument products.
    let p = JsonPath::parse("$.s.substring($..*, $..*)").unwrap();
    let mut doc = json!({"s":"abc"});
    doc["l"] = Value::Array((0..3000).map(Value::from).collect());
    assert!(p.try_find_with_budget(&doc, 1_000_000).is_err());
}

/// A small deterministic generator for the fuzz-style test below.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }

    fn one_in(&mut self, n: usize) -> bool {
        matches!(self.next() % n, 0)
    }
}

#[test]
fn token_soup_never_panics() {
    const PIECES: &[&str] = &[
        "$",
        "@",
        ".",
        "..",
        "*",
        "[",
        "]",
        "(",
        ")",
        "?",
        ":",
        ",",
        "=",
        "==",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "and",
        "or",
        "not",
        "true",
        "false",
        "null",
        "{",
        "}",
        "\"a\"",
        "\"b\\\"\"",
        "a",
        "b",
        "length",
        "keys",
        "values",
        "entries",
        "charAt",
        "substring",
        "0",
        "1",
        "-1",
        "2.5",
        "1e400",
        "99999999999999999999999",
        " ",
        "'",
        "\\",
        "\"",
        "é",
        "\u{0}",
        "-",
        "!",
    ];
    let docs = [
        json!({"a":[1,{"b":2,"a":"xy"}],"b":"héllo","length":1}),
        json!([[1, 2], {"a": {"a": [true, null]}}, "s", 2.5]),
        json!("a"),
        json!(null),
    ];
    let mut rng = Lcg(42);
    let mut parsed = 0;
    for _ in 0..30_000 {
        let n = rng.next() % 14;
        let mut p = String::from(if rng.one_in(8) { "" } else { "$" });
        for _ in 0..n {
            p.push_str(PIECES[rng.next() % PIECES.len()]);
            if rng.one_in(3) {
                p.push(' ');
            }
        }
        if let Ok(path) = JsonPath::parse(&p) {
            parsed += 1;
            for doc in &docs {
                let _ = path.try_find_with_budget(doc, 100_000);
            }
        }
    }
    assert!(parsed > 50, "only {parsed} paths parsed");
}

#[test]
fn arbitrary_bytes_never_panic() {
    const ALPHABET: &[u8] = b"$@.[]()?*:,=!<>\"'\\ -0123abentrulfso\xc3\xa9\xff";
    let mut rng = Lcg(7);
    for _ in 0..20_000 {
        let len = rng.next() % 24;
        let bytes: Vec<u8> = (0..len)
            .map(|_| ALPHABET[rng.next() % ALPHABET.len()])
            .collect();
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(p) = JsonPath::parse(&text) {
            let _ = p.try_find_with_budget(&json!({"a":[1,"x",{"a":null}]}), 100_000);
        }
    }
}

#[test]
fn display_and_from_str() {
    let p: JsonPath = "$.a[0]".parse().unwrap();
    assert_eq!(p.to_string(), "$.a[0]");
    assert_eq!(p.as_str(), "$.a[0]");
    assert!("$.a[".parse::<JsonPath>().is_err());
}

// ---------------------------------------------------------------------------
// Conformance cases (`shared/conformance/cases/tol-jsonpath-*`).

/// The jsonpath tolerance check of chaostoolkit-lib, reduced to what these
/// tests need: `target`, JSON decoding of a string, `count` and `expect`.
fn tolerance_met(tolerance: &Value, output: &Value) -> bool {
    let path = JsonPath::parse(tolerance["path"].as_str().unwrap()).unwrap();
    let mut value = output.clone();
    if let Some(target) = tolerance.get("target").and_then(Value::as_str) {
        if let Some(v) = output.get(target) {
            value = v.clone();
        }
    }
    if let Value::String(s) = &value {
        if let Ok(v) = serde_json::from_str(s) {
            value = v;
        }
    }
    let values = path.find(&value);
    let mut result = !values.is_empty();
    if let Some(count) = tolerance.get("count") {
        result = values.len() as u64 == count.as_u64().unwrap();
    }
    if let Some(expect) = tolerance.get("expect") {
        result = match expect {
            Value::Array(list) => &values == list,
            one => values == vec![one.clone()],
        };
    }
    result
}

#[test]
fn conformance_paths_against_the_target_body() {
    // (case, probe, tolerance, output as the reference journaled it); the
    // reference found every one of these tolerances met.
    let body = target_body();
    let http = json!({"status": 200, "body": body});
    let text_body = json!({"status": 200, "body": body.to_string()});
    let cases = [
        (
            "tol-jsonpath-filter",
            json!({"path": "$.items[*][?(@.healthy = true)].name", "expect": "a", "target": "body"}),
            &http,
        ),
        (
            "tol-jsonpath-filter",
            json!({"path": "$.status", "expect": "ok", "target": "body"}),
            &text_body,
        ),
        (
            "tol-jsonpath-expect",
            json!({"path": "$.status", "expect": "ok", "target": "body"}),
            &http,
        ),
        (
            "tol-jsonpath-expect",
            json!({"path": "$.items[*].name", "expect": ["a", "b"], "target": "body"}),
            &http,
        ),
        (
            "tol-jsonpath-expect",
            json!({"path": "$.body.count", "expect": 2}),
            &http,
        ),
        (
            "tol-jsonpath-expect",
            json!({"path": "$.version", "expect": "1.2.3", "target": "body"}),
            &http,
        ),
        (
            "tol-jsonpath-noexpect",
            json!({"path": "$.items[0].name", "target": "body"}),
            &http,
        ),
        (
            "tol-jsonpath-noexpect",
            json!({"path": "$.items[*]", "count": 2, "target": "body"}),
            &http,
        ),
    ];
    for (case, tolerance, output) in cases {
        assert!(tolerance_met(&tolerance, output), "{case}: {tolerance}");
    }
    let stdout = json!({"status": 0, "stdout": "{\"a\": 1, \"b\": [true, null]}\n"});
    assert!(tolerance_met(
        &json!({"path": "$.b[0]", "expect": true, "target": "stdout"}),
        &stdout
    ));
    assert!(tolerance_met(
        &json!({"path": "$.k[1]"}),
        &json!({"k": [1, 2]})
    ));
    // The exact matches behind them.
    assert_eq!(
        find("$.items[*][?(@.healthy = true)].name", &body),
        vec![json!("a")]
    );
    assert_eq!(find("$.items[*].name", &body), vec![json!("a"), json!("b")]);
    assert_eq!(find("$.items[*]", &body).len(), 2);
    assert_eq!(find("$.body.count", &http), vec![json!(2)]);
    // And the §4.6 list/scalar `expect` examples.
    let doc = json!({"a": [1, 1]});
    assert!(!tolerance_met(
        &json!({"path": "$.a[*]", "expect": 1}),
        &doc
    ));
    assert!(tolerance_met(
        &json!({"path": "$.a[*]", "expect": [1, 1]}),
        &doc
    ));
    assert!(!tolerance_met(
        &json!({"path": "$.a", "expect": [1, 1]}),
        &doc
    ));
    assert!(tolerance_met(
        &json!({"path": "$.a", "target": "body"}),
        &json!({"body": "{\"a\":3}"})
    ));
    // inv-jsonpath-bad-path: rejected at validation.
    assert!(JsonPath::parse("$.items[?").is_err());
}

/// Replays every jsonpath tolerance of the conformance experiments (JSON
/// ones) against the outputs the reference journaled, when `shared/` is
/// beside the checkout.
#[test]
fn conformance_cases_on_disk() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/cases");
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| {
        panic!(
            "the conformance cases are expected at {}: {e}",
            dir.display()
        )
    });
    let mut checked = 0;
    for entry in entries.flatten() {
        let case = entry.path();
        let (Ok(experiment), Ok(expected)) = (
            std::fs::read_to_string(case.join("experiment.json")),
            std::fs::read_to_string(case.join("expected.json")),
        ) else {
            continue;
        };
        let (Ok(experiment), Ok(expected)) = (
            serde_json::from_str::<Value>(&experiment),
            serde_json::from_str::<Value>(&expected),
        ) else {
            continue;
        };
        let config = experiment
            .get("configuration")
            .cloned()
            .unwrap_or(json!({}));
        let probes = experiment["steady-state-hypothesis"]["probes"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for probe in probes {
            let mut tolerance = probe["tolerance"].clone();
            if tolerance.get("type").and_then(Value::as_str) != Some("jsonpath") {
                continue;
            }
            let Some(path) = tolerance["path"].as_str().map(str::to_string) else {
                continue;
            };
            let Ok(_) = JsonPath::parse(&path) else {
                // Must be a validation failure in the reference too.
                assert_eq!(
                    expected["view"]["validate_exit"],
                    json!(1),
                    "{}: {path}",
                    case.display()
                );
                checked += 1;
                continue;
            };
            // `${name}` expectations, from the configuration.
            if let Some(name) = tolerance
                .get("expect")
                .and_then(Value::as_str)
                .and_then(|s| s.strip_prefix("${"))
                .and_then(|s| s.strip_suffix('}'))
            {
                if let Some(v) = config.get(name) {
                    tolerance["expect"] = v.clone();
                }
            }
            for phase in ["before", "after"] {
                let runs = expected["view"]["steady_states"][phase]["probes"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                for run in runs.iter().filter(|r| r["name"] == probe["name"]) {
                    let Some(met) = run.get("tolerance_met").and_then(Value::as_bool) else {
                        continue;
                    };
                    assert_eq!(
                        tolerance_met(&tolerance, &run["output"]),
                        met,
                        "{} {phase} {}: {path}",
                        case.display(),
                        probe["name"]
                    );
                    checked += 1;
                }
            }
        }
    }
    eprintln!("checked {checked} jsonpath tolerance runs");
    assert!(checked >= 10, "only {checked} checked");
}
