//! What a careless user or an attacker can hand the CLI: outputs killed mid-write, images that
//! claim gigapixels, files cut short, pipes and devices, names no terminal can show.

#![cfg(not(target_family = "wasm"))]

mod common;

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::fixture;

fn glimpse<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_glimpse")).args(args).output().unwrap()
}

/// Runs glimpse with a watchdog: a command that hangs is killed and the test fails, saying so.
fn glimpse_within<S: AsRef<std::ffi::OsStr>>(limit: Duration, args: &[S]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_glimpse")).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            child.kill().unwrap();
            panic!("glimpse {:?} still ran after {limit:?}", args.iter().map(|a| a.as_ref().to_string_lossy().into_owned()).collect::<Vec<_>>());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = common::workspace().join("target/fixtures/safety").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A project rewritten under a file-size limit (`ulimit -f`): the write fails part-way, as on a
/// full disk, or the process is killed by it, as by `kill -9`; the project it replaces stays
/// whole either way, and a failed write leaves no temporary file.
#[test]
fn a_write_that_fails_half_way_leaves_the_previous_project_whole() {
    let dir = scratch("atomic");
    let project = dir.join("p.glimpse");
    std::fs::copy(common::workspace().join("tests/fixtures/format-4.glimpse"), &project).unwrap();
    let before = std::fs::read(&project).unwrap();
    assert!(before.len() > 64 * 1024, "the project must be larger than the limit");
    for (trap, killed) in [("trap '' XFSZ;", false), ("", true)] {
        // 64 blocks of 512 bytes: the new project cannot be written whole.
        let script = format!("{trap} ulimit -f 64; exec \"$0\" adapt \"$1\" --remove -o \"$1\"");
        let out = Command::new("bash").args(["-c", &script, env!("CARGO_BIN_EXE_glimpse"), project.to_str().unwrap()]).output().unwrap();
        assert!(!out.status.success(), "the write cannot have succeeded: {}", stderr(&out));
        assert_eq!(std::fs::read(&project).unwrap(), before, "the project was damaged (killed: {killed})");
        if !killed {
            assert_eq!(out.status.code(), Some(2));
            assert!(stderr(&out).contains("any file that was there is unchanged"), "{}", stderr(&out));
            let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
            assert_eq!(left, ["p.glimpse"], "the temporary file was left behind");
        }
    }
    // Without the limit it is replaced, whole.
    let out = glimpse(&["adapt", project.to_str().unwrap(), "--remove", "-o", project.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_ne!(std::fs::read(&project).unwrap(), before);
}

/// PNG bytes of a `width × height` greyscale image that has its header and hardly any data: what
/// a decoder reads before it allocates.
fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 0, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    // The header, the start of the image data (far too little of it), the end.
    let idat = [b"IDAT".as_slice(), &[0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01]].concat();
    for chunk in [ihdr, idat, b"IEND".to_vec()] {
        png.extend((chunk.len() as u32 - 4).to_be_bytes());
        png.extend(&chunk);
        png.extend(crc32(&chunk).to_be_bytes());
    }
    png
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// Images that claim more pixels than a camera makes are refused before decoding; a JPEG cut
/// short is refused rather than filled in; pipes and devices never block.
#[test]
fn images_are_bounded_and_cut_or_odd_files_are_refused() {
    let dir = scratch("images");
    let huge_png = dir.join("huge.png");
    std::fs::write(&huge_png, png_header_only(23000, 23000)).unwrap();
    let out = glimpse_within(Duration::from_secs(60), &["imagenet", huge_png.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("huge.png: 23000×23000 is 529 megapixels, more than the 50 an image may have"), "{}", stderr(&out));

    // A real JPEG whose frame header claims 13000 × 13000.
    let mut jpeg = std::fs::read(fixture("rocket.jpg")).unwrap();
    let sof = jpeg.windows(2).position(|w| w[0] == 0xFF && (w[1] == 0xC0 || w[1] == 0xC2)).unwrap();
    jpeg[sof + 5..sof + 9].copy_from_slice(&[0x32, 0xC8, 0x32, 0xC8]);
    let huge_jpeg = dir.join("huge.jpg");
    std::fs::write(&huge_jpeg, &jpeg).unwrap();
    let out = glimpse_within(Duration::from_secs(60), &["imagenet", huge_jpeg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("13000×13000 is 169 megapixels"), "{}", stderr(&out));

    let whole = std::fs::read(fixture("rocket.jpg")).unwrap();
    let cut = dir.join("cut.jpg");
    std::fs::write(&cut, &whole[..whole.len() * 2 / 3]).unwrap();
    let out = glimpse(&["imagenet", cut.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cut.jpg: the JPEG image is cut short"), "{}", stderr(&out));

    for device in ["/dev/zero", "/dev/null"] {
        let out = glimpse_within(Duration::from_secs(60), &["imagenet", device]);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("not a regular file"), "{device}: {}", stderr(&out));
    }
}

/// A project file is judged by its header before the rest is read: a 3 GB file of zeros (sparse,
/// so it costs no disk) is refused at once, an endless device never read.
#[test]
fn a_huge_or_endless_project_file_is_refused_from_its_header() {
    let dir = scratch("projects");
    let big = dir.join("big.glimpse");
    std::fs::File::create(&big).unwrap().set_len(3 << 30).unwrap();
    let image = fixture("chelsea.png");
    let out = glimpse_within(Duration::from_secs(60), &["predict", big.to_str().unwrap(), image.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a Glimpse project (unknown header)"), "{}", stderr(&out));
    let out = glimpse_within(Duration::from_secs(60), &["predict", "/dev/zero", image.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a regular file"), "{}", stderr(&out));
    // A header that claims more than the file holds: the same message as opening it whole.
    let mut header = std::fs::read(common::workspace().join("tests/fixtures/format-4.glimpse")).unwrap();
    header.truncate(1000);
    let cut = dir.join("cut.glimpse");
    std::fs::write(&cut, &header).unwrap();
    let out = glimpse(&["predict", cut.to_str().unwrap(), image.to_str().unwrap()]);
    assert!(stderr(&out).contains("the file is cut short: it should hold"), "{}", stderr(&out));
}

/// Class folders as people leave them: a pipe named like an image, a hidden thumbnail cache, a
/// folder whose name ends in a space, names no terminal shows; and an output that cannot be
/// written, found before any work.
#[test]
fn dataset_folders_as_found_in_the_wild() {
    let dir = scratch("wild");
    let data = common::view_folders(&dir.join("data"), &common::OBJECTS[..2], 3, 9);
    std::fs::rename(data.join("coffee"), data.join("coffee ")).unwrap();
    assert!(Command::new("mkfifo").arg(data.join("cat/pipe.png")).status().unwrap().success());
    std::fs::create_dir_all(data.join(".thumbnails")).unwrap();
    common::views("rocket.jpg", 2, 1)[0].save(data.join(".thumbnails/t.png")).unwrap();
    // A file name that is not UTF-8.
    let odd = data.join("cat").join(std::ffi::OsStr::from_bytes(b"caf\xe9.png"));
    std::fs::copy(data.join("cat/00.png"), &odd).unwrap();

    let unwritable = Path::new("/proc/glimpse.glimpse");
    let out = glimpse_within(Duration::from_secs(60), &["train", data.to_str().unwrap(), "-o", unwritable.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot write there") && !stderr(&out).contains("features:"), "found before extracting features: {}", stderr(&out));

    let project = dir.join("p.glimpse");
    let out = glimpse_within(Duration::from_secs(300), &["train", data.to_str().unwrap(), "-o", project.to_str().unwrap(), "--epochs", "3"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("7 examples of 2 classes"), "the pipe and the hidden folder are not examples: {}", stderr(&out));
    let out = glimpse(&["eval", project.to_str().unwrap(), data.to_str().unwrap()]);
    assert!(out.status.success(), "a folder named “coffee ” is the class “coffee”: {}", stderr(&out));
    let mut args = vec![std::ffi::OsString::from("predict"), project.clone().into_os_string(), odd.clone().into_os_string()];
    let out = glimpse(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with(&odd.display().to_string()), "the name is shown as well as it can be");
    args.push("--json".into());
    let line: serde_json::Value = serde_json::from_slice(&glimpse(&args).stdout).unwrap();
    assert_eq!(line["class"], "cat");

    // Tabs and line breaks cannot name a class: the folder is named in the refusal.
    std::fs::rename(data.join("cat"), data.join("c\tat")).unwrap();
    let out = glimpse(&["train", data.to_str().unwrap(), "-o", project.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("c\tat: class names cannot hold tabs"), "{}", stderr(&out));
}
