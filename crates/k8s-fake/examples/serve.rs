//! Runs a fake cluster with three nodes and a sample Deployment until stdin
//! closes, for poking at it by hand with kubectl:
//!
//! ```text
//! cargo run -p chaos-k8s-fake --example serve -- /tmp/fake.kubeconfig
//! kubectl --kubeconfig /tmp/fake.kubeconfig get pods
//! ```

use std::io::Read;

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "fake.kubeconfig".into());
    let cluster = chaos_k8s_fake::FakeCluster::with_nodes(&["node-1", "node-2", "node-3"]);
    cluster.apply(serde_json::json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}
            }
        }
    }));
    cluster.write_kubeconfig(std::path::Path::new(&path), "fake", None);
    println!(
        "serving {} (kubeconfig {path}); close stdin to stop",
        cluster.url()
    );
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
}
