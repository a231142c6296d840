//! The fact cache: each file's extraction (facts, code structure, notes) kept between runs, so
//! a run on an unchanged tree parses nothing.
//!
//! One pack file per scanned root and rule set, in the user's cache directory (or
//! `--cache-dir`), never inside the scanned tree. An entry is used when the file's metadata
//! (size, mtime, ctime, inode) is what it was when the entry was recorded, without reading the
//! file; when only the metadata changed, when the file's content hash still matches. The
//! cross-file model (entities, call graph, flows) and the checks are always rebuilt: they cost
//! a small part of a run and depend on every file at once. The key covers the tool's version,
//! the binary itself (its size and mtime, so a rebuilt binary never reads an older build's
//! facts) and the `--rules` files, so a report is byte-identical with and without the cache.
//!
//! Safe under concurrent runs: a pack is written to a temporary file and renamed over the
//! old one, so a reader sees a whole pack or none; the last writer wins. A damaged pack or
//! entry is ignored with a note (a checksum covers the pack). The directory is bounded:
//! after a write, the least recently used packs are removed beyond `MAX_BYTES`.

pub mod codec;

use crate::model::extract::{self, ParsedFile};
use crate::rules::RuleSet;
use crate::walk::FileEntry;
use codec::{Dec, Enc};
use siphasher::sip128::{Hasher128, SipHasher13};
use std::collections::HashMap;
use std::hash::Hasher;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Bumped whenever the pack or entry format changes.
const FORMAT: u64 = 9;
const MAGIC: &[u8; 8] = b"BAUDITFC";
/// The cache directory's bound; packs beyond it are evicted, least recently used first.
pub const MAX_BYTES: u64 = 256 * 1024 * 1024;
/// A file modified this close to the run that recorded it may change again within the
/// filesystem's timestamp granularity without its metadata showing it: its content hash is
/// checked instead ("racily clean", as git calls it).
const RACY: Duration = Duration::from_secs(2);
/// The environment variable that sets the cache directory (the test suite's, in
/// `.cargo/config.toml`).
pub const DIR_ENV: &str = "BOOKING_AUDIT_CACHE_DIR";

/// A 128-bit SipHash with fixed keys: stable across runs, builds and platforms.
fn hasher() -> SipHasher13 {
    SipHasher13::new_with_keys(0x626f_6f6b_696e_6721, 0x6661_6374_6361_6368)
}

fn hash(bytes: &[u8]) -> u128 {
    let mut h = hasher();
    h.write(bytes);
    h.finish128().as_u128()
}

/// What a file's metadata says of it; equal metadata means an unchanged file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Meta {
    len: u64,
    mtime: u64,
    ctime: u64,
    ino: u64,
}

fn nanos(t: std::io::Result<SystemTime>) -> u64 {
    t.ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as u64)
}

impl Meta {
    fn of(path: &Path) -> Option<Meta> {
        let m = std::fs::symlink_metadata(path).ok()?;
        #[cfg(unix)]
        let (ctime, ino) = {
            use std::os::unix::fs::MetadataExt;
            let ns = (m.ctime() as u64)
                .saturating_mul(1_000_000_000)
                .saturating_add(m.ctime_nsec() as u64);
            (ns, m.ino())
        };
        #[cfg(not(unix))]
        let (ctime, ino) = (0, 0);
        Some(Meta {
            len: m.len(),
            mtime: nanos(m.modified()),
            ctime,
            ino,
        })
    }

    /// Whether a later run may trust this metadata without hashing the file (see `RACY`).
    fn settled(&self, started: u64) -> bool {
        let margin = RACY.as_nanos() as u64;
        self.mtime.saturating_add(margin) < started && self.ctime.saturating_add(margin) < started
    }
}

/// One file's entry in a pack.
struct Entry {
    meta: Meta,
    hash: u128,
    settled: bool,
    payload: Range<usize>,
}

/// A pack read from disk: its bytes and where each file's entry is.
struct Pack {
    bytes: Vec<u8>,
    index: HashMap<Box<str>, Entry>,
}

/// This run's entry for a file, for the new pack.
struct Record<'a> {
    rel: &'a str,
    meta: Meta,
    hash: u128,
    settled: bool,
    payload: &'a [u8],
}

/// The new pack, written as entries come (so no run holds every encoded entry in memory):
/// created at the first entry that differs from the old pack; until then, unchanged entries
/// are only counted, and copied from the old pack if a new one is started.
#[derive(Default)]
struct Out {
    /// Files whose old entry was used as it is, before the new pack was started.
    pending: Vec<std::sync::Arc<str>>,
    writer: Option<Writer>,
    /// The new pack could not be created: nothing is written this run.
    unwritable: bool,
    entries: usize,
}

struct Writer {
    tmp: PathBuf,
    file: std::io::BufWriter<std::fs::File>,
    sum: SipHasher13,
    failed: bool,
}

impl Writer {
    /// A new pack in a temporary file beside `target`; None when it cannot be created.
    fn create(target: &Path) -> Option<Writer> {
        let tmp = target.with_extension(format!(
            "tmp.{}.{}",
            std::process::id(),
            nanos(Ok(SystemTime::now()))
        ));
        let file = std::fs::File::create(&tmp).ok()?;
        let mut w = Writer {
            tmp,
            file: std::io::BufWriter::new(file),
            sum: hasher(),
            failed: false,
        };
        let mut e = Enc::default();
        e.0.extend_from_slice(MAGIC);
        e.u(FORMAT);
        w.put(&e.0);
        Some(w)
    }

    fn put(&mut self, bytes: &[u8]) {
        use std::io::Write;
        self.sum.write(bytes);
        if !self.failed && self.file.write_all(bytes).is_err() {
            self.failed = true;
        }
    }

    fn entry(&mut self, r: &Record) {
        let mut e = Enc::default();
        e.0.push(1);
        e.s(r.rel);
        for v in [r.meta.len, r.meta.mtime, r.meta.ctime, r.meta.ino] {
            e.u(v);
        }
        e.bytes(&r.hash.to_le_bytes());
        e.0.push(u8::from(r.settled));
        e.u(r.payload.len() as u64);
        self.put(&e.0);
        self.put(r.payload);
    }

    /// Ends the pack and renames it over `target`.
    fn commit(mut self, target: &Path) {
        use std::io::Write;
        self.put(&[0]);
        let sum = self.sum.finish128().as_u128().to_le_bytes();
        let ok = !self.failed
            && self.file.write_all(&sum).is_ok()
            && self.file.flush().is_ok()
            && std::fs::rename(&self.tmp, target).is_ok();
        if !ok {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Where the cache lives and what it is keyed by.
pub struct Settings<'a> {
    /// `--cache-dir`: used as given; a problem with it is reported.
    pub dir: Option<PathBuf>,
    pub root: &'a Path,
    /// `--rules`: part of the key.
    pub rules: Option<&'a Path>,
}

pub struct Cache {
    dir: PathBuf,
    file: PathBuf,
    started: u64,
    old: Option<Pack>,
    out: Mutex<Out>,
    damaged: AtomicBool,
    /// Notes for stderr (a damaged pack or entry, a cache directory that cannot be used).
    pub notes: Mutex<Vec<String>>,
}

impl Cache {
    /// The cache for a run on `s.root`; None (with a note when the user chose the
    /// directory) when there is no usable directory outside the scanned tree.
    pub fn open(s: &Settings) -> (Option<Cache>, Vec<String>) {
        let explicit = s.dir.is_some();
        let dir = s
            .dir
            .clone()
            .or_else(|| dirs::cache_dir().map(|d| d.join("booking-audit")));
        let (Some(dir), Ok(root)) = (dir, s.root.canonicalize()) else {
            return (None, vec![]);
        };
        let note = |msg: String| if explicit { vec![msg] } else { vec![] };
        let dir = absolute(&dir).join(format!("v{FORMAT}"));
        if inside(&dir, &root) {
            return (
                None,
                note(format!(
                    "cache: {} is inside the audited tree; running without the cache",
                    dir.display()
                )),
            );
        }
        if let Err(e) = std::fs::create_dir_all(&dir) {
            return (
                None,
                note(format!("cache: {}: {e}; running without it", dir.display())),
            );
        }
        let Some(key) = key(&root, s.rules) else {
            return (None, vec![]);
        };
        let file = dir.join(format!("{key:032x}.pack"));
        let mut notes = vec![];
        let old = match std::fs::read(&file) {
            Ok(bytes) => {
                let pack = Pack::parse(bytes);
                if pack.is_none() {
                    notes.push(format!(
                        "cache: ignored a damaged cache file, {}",
                        file.display()
                    ));
                }
                pack
            }
            Err(_) => None,
        };
        let cache = Cache {
            dir,
            file,
            started: nanos(Ok(SystemTime::now())),
            old,
            out: Mutex::new(Out::default()),
            damaged: AtomicBool::new(false),
            notes: Mutex::new(Vec::new()),
        };
        (Some(cache), notes)
    }

    /// One file's extraction: from the cache when the file is unchanged, else extracted (and
    /// recorded for the next run).
    pub fn extract(
        &self,
        entry: &FileEntry,
        rules: &RuleSet,
        parser: &mut tree_sitter::Parser,
    ) -> ParsedFile {
        let meta = Meta::of(&entry.abs);
        let old = self
            .old
            .as_ref()
            .and_then(|p| Some((p, p.index.get(&*entry.rel)?)));
        if let (Some(m), Some((pack, e))) = (meta, old)
            && e.settled
            && e.meta == m
            && let Some(parsed) = self.decode(pack, e, entry)
        {
            self.unchanged(entry, e);
            return parsed;
        }
        let read = std::fs::read(&entry.abs);
        let content = read.as_ref().ok().map(|b| hash(b));
        if let (Some(m), Some(h), Some((pack, e))) = (meta, content, old)
            && e.hash == h
            && let Some(parsed) = self.decode(pack, e, entry)
        {
            let payload = &pack.bytes[e.payload.clone()];
            self.changed(entry, m, h, payload);
            return parsed;
        }
        let parsed = extract::extract_read(entry, read, rules, parser);
        if let (Some(m), Some(h)) = (meta, content)
            && cacheable(&parsed)
        {
            let mut enc = Enc::default();
            codec::encode(&parsed, &entry.rel, &mut enc);
            self.changed(entry, m, h, &enc.0);
        }
        parsed
    }

    fn decode(&self, pack: &Pack, e: &Entry, entry: &FileEntry) -> Option<ParsedFile> {
        let parsed = pack
            .bytes
            .get(e.payload.clone())
            .and_then(|b| codec::decode(b, &entry.rel));
        if parsed.is_none() && !self.damaged.swap(true, Ordering::Relaxed) {
            self.note(format!(
                "cache: ignored a damaged entry ({}) in {}",
                entry.rel,
                self.file.display()
            ));
        }
        parsed
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Out> {
        self.out.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An entry the old pack has as it is.
    fn unchanged(&self, entry: &FileEntry, e: &Entry) {
        let mut out = self.lock();
        out.entries += 1;
        match (&mut out.writer, &self.old) {
            (Some(w), Some(pack)) => w.entry(&Record {
                rel: &entry.rel,
                meta: e.meta,
                hash: e.hash,
                settled: true,
                payload: &pack.bytes[e.payload.clone()],
            }),
            _ => out.pending.push(entry.rel.clone()),
        }
    }

    /// A new or changed entry: the new pack is started if it was not.
    fn changed(&self, entry: &FileEntry, meta: Meta, hash: u128, payload: &[u8]) {
        let mut out = self.lock();
        out.entries += 1;
        if let Some(w) = self.writer(&mut out) {
            w.entry(&Record {
                rel: &entry.rel,
                meta,
                hash,
                settled: meta.settled(self.started),
                payload,
            });
        }
    }

    /// The new pack, started (with the unchanged entries seen so far) on first use.
    fn writer<'o>(&self, out: &'o mut Out) -> Option<&'o mut Writer> {
        if out.writer.is_none() && !out.unwritable {
            match Writer::create(&self.file) {
                Some(mut w) => {
                    let pending = std::mem::take(&mut out.pending);
                    if let Some(pack) = &self.old {
                        for rel in pending {
                            let Some(e) = pack.index.get(&*rel) else {
                                continue;
                            };
                            w.entry(&Record {
                                rel: &rel,
                                meta: e.meta,
                                hash: e.hash,
                                settled: true,
                                payload: &pack.bytes[e.payload.clone()],
                            });
                        }
                    }
                    out.writer = Some(w);
                }
                None => out.unwritable = true,
            }
        }
        out.writer.as_mut()
    }

    fn note(&self, msg: String) {
        self.notes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(msg);
    }

    /// Ends this run's pack when anything changed (renamed into place), else marks the old
    /// pack used; then keeps the directory within `MAX_BYTES`. Failures only cost the next
    /// run its cache.
    pub fn finish(self) {
        let mut out = self.out.into_inner().unwrap_or_else(|e| e.into_inner());
        let same_files = self
            .old
            .as_ref()
            .is_some_and(|p| p.index.len() == out.entries);
        if out.writer.is_none() && same_files {
            // A warm run: the pack is kept as it is, and marked recently used.
            if let Ok(f) = std::fs::File::options().append(true).open(&self.file) {
                let _ = f.set_modified(SystemTime::now());
            }
            return;
        }
        // Files were removed (or there was no pack): the unchanged ones make the new pack.
        let this = Cache {
            out: Mutex::new(Out::default()),
            ..self
        };
        if out.writer.is_none() {
            this.writer(&mut out);
        }
        if let Some(w) = out.writer.take() {
            w.commit(&this.file);
        }
        evict(&this.dir, MAX_BYTES, &this.file);
    }
}

/// Whether an extraction may be reused: not when the file could not be read or parsing ran
/// out of time, which may not happen again.
fn cacheable(p: &ParsedFile) -> bool {
    !p.diags.iter().any(|d| {
        d.message.starts_with("skipped: could not read")
            || d.message.starts_with("skipped: parsing took")
    })
}

/// The pack's key: the scanned root, the tool's version and build, the `--rules` files, and
/// the settings that change extraction.
fn key(root: &Path, rules: Option<&Path>) -> Option<u128> {
    let mut h = hasher();
    let mut field = |b: &[u8]| {
        h.write_usize(b.len());
        h.write(b);
    };
    field(root.as_os_str().as_encoded_bytes());
    field(env!("CARGO_PKG_VERSION").as_bytes());
    field(&FORMAT.to_le_bytes());
    let exe = Meta::of(&std::env::current_exe().ok()?)?;
    field(&exe.len.to_le_bytes());
    field(&exe.mtime.to_le_bytes());
    field(&crate::model::extract::query_work_limit().to_le_bytes());
    if let Some(dir) = rules {
        for src in crate::rules::read_dir_sources(dir).ok()? {
            field(src.path.as_bytes());
            field(src.text.as_bytes());
        }
    }
    Some(h.finish128().as_u128())
}

/// `path` made absolute against the working directory (not resolved: it may not exist yet).
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Whether `dir` (absolute, maybe not yet created) lies inside `root` (canonical): its
/// nearest existing ancestor is resolved, so symlinks into the tree count too.
fn inside(dir: &Path, root: &Path) -> bool {
    let mut existing = dir;
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(p), Some(name)) => {
                rest.push(name.to_os_string());
                existing = p;
            }
            _ => break,
        }
    }
    let mut resolved = existing
        .canonicalize()
        .unwrap_or_else(|_| existing.to_path_buf());
    resolved.extend(rest.iter().rev());
    resolved.starts_with(root)
}

impl Pack {
    /// Reads a pack; None unless it is whole, of this format, and its checksum holds.
    fn parse(bytes: Vec<u8>) -> Option<Pack> {
        let body_len = bytes.len().checked_sub(16)?;
        let (body, sum) = bytes.split_at(body_len);
        if hash(body).to_le_bytes() != sum || !body.starts_with(MAGIC) {
            return None;
        }
        let mut d = Dec::new(body);
        d.at = MAGIC.len();
        if d.u()? != FORMAT {
            return None;
        }
        let mut index = HashMap::new();
        while d.byte()? == 1 {
            let rel = d.s()?;
            let meta = Meta {
                len: d.u()?,
                mtime: d.u()?,
                ctime: d.u()?,
                ino: d.u()?,
            };
            let hash = u128::from_le_bytes(d.bytes()?.try_into().ok()?);
            let settled = d.byte()? == 1;
            let len = usize::try_from(d.u()?).ok()?;
            let start = d.at;
            let end = start.checked_add(len).filter(|&e| e <= body.len())?;
            d.at = end;
            let e = Entry {
                meta,
                hash,
                settled,
                payload: start..end,
            };
            index.insert(rel.into(), e);
        }
        (d.at == body.len()).then_some(Pack { bytes, index })
    }
}

/// Removes the least recently used packs until the directory holds at most `max` bytes (never
/// `keep`), and temporary files an interrupted run left over an hour ago.
pub fn evict(dir: &Path, max: u64, keep: &Path) {
    let Ok(list) = std::fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    let mut packs = Vec::new();
    for e in list.flatten() {
        let path = e.path();
        let Ok(m) = e.metadata() else { continue };
        let modified = m.modified().unwrap_or(now);
        let name = e.file_name().to_string_lossy().to_string();
        if name.contains(".tmp.") {
            if now.duration_since(modified).unwrap_or_default() > Duration::from_secs(3600) {
                let _ = std::fs::remove_file(&path);
            }
        } else if name.ends_with(".pack") {
            packs.push((modified, m.len(), path));
        }
    }
    let mut total: u64 = packs.iter().map(|p| p.1).sum();
    packs.sort();
    for (_, len, path) in packs {
        if total <= max {
            break;
        }
        if path != keep && std::fs::remove_file(&path).is_ok() {
            total -= len;
        }
    }
}

#[cfg(test)]
mod tests;
