//! `glimpse group`: unlabelled images grouped by what they show (see the core's `learn::tasks::grouping`),
//! optionally written as a project with a class per group, to be renamed and trained.

use std::path::{Path, PathBuf};

use glimpse::adjusted_rand_index;

use super::learn::{images_in, labelled_images};
use super::{Options, decode, frame, session};

pub fn run(options: &Options) -> Result<i32, String> {
    let [dir] = options.rest.as_slice() else {
        return Err("group needs one folder: glimpse group DIR [-o PROJECT] (its images, or class sub-folders to score the grouping)".into());
    };
    let dir = Path::new(dir);
    // With class sub-folders the labels are known: they score the grouping, never guide it.
    let direct = images_in(dir)?;
    let (images, labels): (Vec<PathBuf>, Option<Vec<usize>>) = match direct.is_empty() {
        false => (direct, None),
        true => {
            let classes = labelled_images(dir)?;
            let labels = classes.iter().enumerate().flat_map(|(l, (_, images))| images.iter().map(move |_| l)).collect();
            (classes.into_iter().flat_map(|(_, images)| images).collect(), Some(labels))
        }
    };
    let session = session(options)?;
    session.set_settings(options.settings.clone()).map_err(|e| e.to_string())?;
    let unsorted = session.add_class(Some("Unsorted")).map_err(|e| e.to_string())?;
    let mut captures = Vec::with_capacity(images.len());
    for (i, path) in images.iter().enumerate() {
        let image = decode(path)?;
        let added = pollster::block_on(session.capture(unsorted, frame(path, &image)?)).map_err(|e| e.to_string())?;
        captures.push(added.ids);
        if (i + 1) % 25 == 0 || i + 1 == images.len() {
            eprintln!("features: {}/{} images", i + 1, images.len());
        }
    }
    let proposal = session.group(unsorted, options.groups).map_err(|e| format!("{}: {e}", dir.display()))?;
    let group_of: Vec<usize> =
        captures.iter().map(|ids| proposal.groups.iter().position(|g| g.contains(&ids[0])).expect("every capture is in a group")).collect();
    for (path, g) in images.iter().zip(&group_of) {
        println!("{}\tgroup {}", path.display(), g + 1);
    }
    let scores: Vec<String> = proposal.silhouettes.iter().map(|(k, s)| format!("{k}: {s:.3}")).collect();
    println!("silhouette per number of groups: {}", scores.join(", "));
    if let Some(output) = &options.output {
        let groups: Vec<(String, Vec<u32>)> = proposal.groups.iter().enumerate().map(|(i, g)| (format!("Group {}", i + 1), g.clone())).collect();
        session.sort_into(unsorted, &groups).map_err(|e| e.to_string())?;
        std::fs::write(output, session.save()).map_err(|e| format!("{}: {e}", output.display()))?;
        println!("wrote {} with a class per group (rename them, then glimpse train can use it)", output.display());
    }
    if let Some(labels) = labels {
        println!("adjusted Rand index against the folders: {:.4}", adjusted_rand_index(&labels, &group_of));
    }
    println!("groups: {}", proposal.groups.len());
    Ok(0)
}
