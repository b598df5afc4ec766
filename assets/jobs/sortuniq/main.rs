// Command sortuniq sorts the lines of each input file and counts the repeated ones.
//
// The example of a Rust program (rustc, std::fs) over a folder of files. Its input is
// the file /input, or every file under the directory /input; with a directory /output
// it writes each file's sorted distinct lines, with their counts, under the same path
// there, and index.txt; else the most repeated lines on standard output.
//
//	sortuniq [TOP]      (input: the file or directory /input)
use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::exit;

struct Counted {
    name: String,
    lines: usize,
    counts: BTreeMap<Vec<u8>, usize>,
}

fn walk(dir: &Path, rel: &str, out: &mut Vec<(String, PathBuf)>) -> io::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let rel = if rel.is_empty() { name } else { format!("{}/{}", rel, name) };
        let meta = fs::metadata(e.path())?;
        if meta.is_dir() {
            walk(&e.path(), &rel, out)?;
        } else if meta.is_file() {
            out.push((rel, e.path()));
        }
    }
    Ok(())
}

fn count(name: String, path: &Path) -> io::Result<Counted> {
    let data = fs::read(path)?;
    let mut counts = BTreeMap::new();
    let mut lines = 0;
    for line in data.split(|&b| b == b'\n') {
        if line.is_empty() {
            continue;
        }
        lines += 1;
        *counts.entry(line.to_vec()).or_insert(0) += 1;
    }
    Ok(Counted { name, lines, counts })
}

fn fail(what: &str, err: io::Error) -> ! {
    eprintln!("sortuniq: {}: {}", what, err);
    exit(1)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let top = match args.get(1) {
        None => 10,
        Some(a) => match a.parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("sortuniq: TOP must be a whole number above 0");
                exit(2)
            }
        },
    };
    let input = Path::new("/input");
    let meta = fs::metadata(input).unwrap_or_else(|e| fail("no input", e));
    let mut paths = Vec::new();
    if meta.is_dir() {
        walk(input, "", &mut paths).unwrap_or_else(|e| fail("read /input", e));
    } else {
        paths.push(("input".to_string(), input.to_path_buf()));
    }
    let mut all = Vec::new();
    for (name, path) in paths {
        let c = count(name.clone(), &path).unwrap_or_else(|e| fail(&name, e));
        all.push(c);
    }
    let tree = fs::metadata("/output").map(|m| m.is_dir()).unwrap_or(false);
    let stdout = io::stdout();
    let mut out = stdout.lock();
    if tree {
        let mut index = Vec::new();
        for c in &all {
            let path = Path::new("/output").join(&c.name);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).unwrap_or_else(|e| fail("create directory", e));
            }
            let mut body = Vec::new();
            for (line, n) in &c.counts {
                write!(body, "{} ", n).unwrap();
                body.extend_from_slice(line);
                body.push(b'\n');
            }
            fs::write(&path, &body).unwrap_or_else(|e| fail(&c.name, e));
            writeln!(index, "{} {} {}", c.lines, c.counts.len(), c.name).unwrap();
        }
        fs::write("/output/index.txt", &index).unwrap_or_else(|e| fail("index.txt", e));
        writeln!(out, "{} files", all.len()).unwrap();
        return;
    }
    for c in &all {
        writeln!(out, "{}: {} lines, {} distinct", c.name, c.lines, c.counts.len()).unwrap();
        let mut most: Vec<_> = c.counts.iter().collect();
        most.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (line, n) in most.into_iter().take(top) {
            write!(out, "{} ", n).unwrap();
            out.write_all(line).unwrap();
            out.write_all(b"\n").unwrap();
        }
    }
}
