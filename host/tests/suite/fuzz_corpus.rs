//! Replays every committed fuzz corpus file and every regression input
//! (`host/fuzz/corpus/<target>/`, `host/fuzz/regressions/<target>/`)
//! through the same entry points the fuzz targets call
//! (`factorcat::fuzzing`), so the normal test run keeps every input the
//! fuzzer ever found interesting, and every crash it found, passing.
//! See `docs/fuzzing.md`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use factorcat::error::ErrorCode;
use factorcat::fuzzing::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The regular files of `dir`, sorted; none when it does not exist.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("a readable directory entry").path())
        .filter(|p| p.is_file())
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    files
}

/// Runs `entry` on each file; returns the files whose run panicked.
fn replay(target: &str, entry: fn(&[u8]), files: &[PathBuf]) -> Vec<String> {
    let mut failed = Vec::new();
    for file in files {
        let data = std::fs::read(file).expect("a readable input");
        if std::panic::catch_unwind(|| entry(&data)).is_err() {
            failed.push(format!("{target}: {}", file.display()));
        }
    }
    failed
}

#[test]
fn every_target_has_a_corpus() {
    let corpus = fuzz_dir().join("corpus");
    for (target, _) in TARGETS {
        let files = inputs(&corpus.join(target));
        assert!(
            !files.is_empty(),
            "the fuzz corpus of {target} is missing or empty ({}); restore it from git or re-seed it as docs/fuzzing.md says",
            corpus.join(target).display()
        );
    }
}

#[test]
fn the_fuzz_crate_has_one_target_per_entry_point() {
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    for (target, _) in TARGETS {
        assert!(
            manifest.contains(&format!("name = \"{target}\"")),
            "host/fuzz/Cargo.toml has no [[bin]] {target}"
        );
        let source = fuzz_dir().join("fuzz_targets").join(format!("{target}.rs"));
        let text = std::fs::read_to_string(&source).unwrap();
        assert!(
            text.contains(&format!("factorcat::fuzzing::{target}(")),
            "{} does not call factorcat::fuzzing::{target}",
            source.display()
        );
    }
}

#[test]
fn corpora_and_regressions_replay_without_a_failure() {
    let started = Instant::now();
    let mut failed = Vec::new();
    let mut count = 0;
    for (target, entry) in TARGETS {
        let t0 = Instant::now();
        for kind in ["corpus", "regressions"] {
            let files = inputs(&fuzz_dir().join(kind).join(target));
            count += files.len();
            failed.extend(replay(target, entry, &files));
        }
        eprintln!("{target}: {:.2} s", t0.elapsed().as_secs_f64());
    }
    assert!(
        failed.is_empty(),
        "inputs that fail:\n{}",
        failed.join("\n")
    );
    assert!(count > 0);
    eprintln!(
        "replayed {count} fuzz inputs in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// Found while building the importer targets: a file could choose a key
/// derivation cost that took seconds (Aegis scrypt work 2^22, andOTP 10
/// million PBKDF2 rounds) or a minute and a gigabyte (FactorCat backup,
/// Argon2 1 GiB × 64 passes). Each is now refused before deriving anything.
#[test]
fn hostile_key_derivation_costs_are_refused_at_once() {
    use factorcat::import::{self, Format};
    let cases = [
        ("import_aegis/scrypt_work_2_22.json", Format::Aegis),
        ("import_andotp/pbkdf2_10_million.aes", Format::AndOtp),
        (
            "import_factorcat/argon2_1gib_64_passes.json",
            Format::FactorCat,
        ),
        (
            "import_factorcat/argon2_256mib_5_passes.json",
            Format::FactorCat,
        ),
    ];
    for (file, format) in cases {
        let data = std::fs::read(fuzz_dir().join("regressions").join(file)).unwrap();
        let started = Instant::now();
        let err = import::parse(&data, Some(format), Some("any password")).unwrap_err();
        let took = started.elapsed();
        assert_eq!(err.code(), ErrorCode::ImportDamaged, "{file}: {err}");
        // Deriving at these costs takes seconds even optimised, and far
        // longer in a debug build; a refusal takes microseconds.
        assert!(took.as_secs() < 5, "{file} took {took:?}");
    }
}
