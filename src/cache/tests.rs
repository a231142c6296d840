//! The codec gives back what it was given; damaged packs and entries are refused, never a
//! panic; eviction keeps the directory within its bound.

use super::*;
use crate::lang::Lang;

fn entries(root: &Path) -> Vec<FileEntry> {
    let opts = crate::walk::WalkOptions {
        include: &[],
        exclude: &[],
        config_files: None,
    };
    crate::walk::walk(root, &opts).0
}

/// Every file of the demo fixture, extracted and encoded.
fn demo() -> Vec<(FileEntry, Vec<u8>)> {
    let rules = crate::rules::load(None).expect("built-in rules");
    let mut parser = tree_sitter::Parser::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    entries(&root)
        .into_iter()
        .map(|e| {
            let p = extract::extract_file(&e, &rules, &mut parser);
            let mut enc = Enc::default();
            codec::encode(&p, &e.rel, &mut enc);
            (e, enc.0)
        })
        .collect()
}

#[test]
fn decoding_gives_back_what_was_encoded() {
    let files = demo();
    assert!(files.iter().any(|(e, _)| e.lang == Lang::Manifest));
    assert!(files.iter().any(|(e, _)| e.lang == Lang::Prisma));
    for (e, bytes) in &files {
        let p = codec::decode(bytes, &e.rel).expect("decodes");
        let mut again = Enc::default();
        codec::encode(&p, &e.rel, &mut again);
        assert_eq!(&again.0, bytes, "{}", e.rel);
    }
}

#[test]
fn damaged_entries_are_refused_without_panic() {
    for (e, bytes) in demo() {
        for cut in 0..bytes.len() {
            assert!(codec::decode(&bytes[..cut], &e.rel).is_none());
        }
        // Flipped bytes may still decode (a string's content), but must never panic.
        for i in (0..bytes.len()).step_by(7) {
            let mut b = bytes.clone();
            b[i] ^= 0xA5;
            let _ = codec::decode(&b, &e.rel);
        }
    }
}

#[test]
fn packs_round_trip_and_a_damaged_pack_is_refused() {
    let files = demo();
    let meta = Meta {
        len: 1,
        mtime: 2,
        ctime: 3,
        ino: 4,
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let target = dir.path().join("x.pack");
    let mut w = Writer::create(&target).expect("a writable directory");
    for (e, b) in &files {
        w.entry(&Record {
            rel: &e.rel,
            meta,
            hash: hash(b),
            settled: true,
            payload: b,
        });
    }
    w.commit(&target);
    let bytes = std::fs::read(&target).expect("the pack was renamed into place");
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        1,
        "no temp left"
    );
    let pack = Pack::parse(bytes.clone()).expect("a whole pack");
    assert_eq!(pack.index.len(), files.len());
    for (e, b) in &files {
        let entry = &pack.index[&*e.rel];
        assert_eq!(entry.meta, meta);
        assert_eq!(&pack.bytes[entry.payload.clone()], &b[..]);
    }
    for at in [0, 9, bytes.len() / 2, bytes.len() - 1] {
        let mut b = bytes.clone();
        b[at] ^= 1;
        assert!(Pack::parse(b).is_none(), "flipped byte {at}");
    }
    assert!(Pack::parse(bytes[..bytes.len() - 1].to_vec()).is_none());
    assert!(Pack::parse(vec![]).is_none());
}

#[test]
fn eviction_removes_the_oldest_packs_first_and_keeps_the_current_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let t0 = SystemTime::now() - Duration::from_secs(100);
    let paths: Vec<PathBuf> = (0..4)
        .map(|i| {
            let p = dir.path().join(format!("{i}.pack"));
            std::fs::write(&p, vec![0u8; 1000]).expect("write");
            let f = std::fs::File::options()
                .append(true)
                .open(&p)
                .expect("open");
            f.set_modified(t0 + Duration::from_secs(i * 10))
                .expect("mtime");
            p
        })
        .collect();
    // The oldest is the one in use: it stays, the next oldest go.
    evict(dir.path(), 2500, &paths[0]);
    let left: Vec<bool> = paths.iter().map(|p| p.exists()).collect();

    assert_eq!(left, vec![true, false, false, true]);
}

#[test]
fn a_cache_dir_inside_the_tree_is_detected() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().canonicalize().expect("canonical");
    assert!(inside(&root.join("not/yet/made"), &root));
    assert!(!inside(
        &std::env::temp_dir().join("elsewhere-x"),
        &root.join("sub")
    ));
}
