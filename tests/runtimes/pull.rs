//! The pull path (manifests, platforms, tokens, redirected blobs) with the real clients.

use crate::common::netns::Netns;
use crate::common::pull::*;

#[test]
#[ignore]
fn explore() {
    let Some(ns) = Netns::new() else { return };
    let Some(lab) = Lab::new(&ns) else { return };
    let which = std::env::var("EXPLORE").unwrap_or_default();
    for rt in [Runtime::Docker, Runtime::Containerd, Runtime::CriO] {
        if !which.is_empty() && !which.contains(rt.name()) {
            continue;
        }
        assert!(lab.runtime(rt));
        for kind in Kind::ALL {
            let s = lab.scenario(kind);
            let r = s.pull(rt);
            eprintln!(
                "OBS | {} | {:?} | {} | {:.2} | {}",
                rt.name(),
                kind,
                if r.ok { "works" } else { "fails" },
                r.elapsed.as_secs_f64(),
                r.error.as_deref().unwrap_or("")
            );
        }
    }
    eprintln!("BLOBLOG\n{}", lab.blob_log());
}
