//! `glimpse group`: unlabelled images grouped by what they show (see the core's `learn::tasks::grouping`),
//! optionally written as a project with a class per group, to be renamed and trained.

use std::path::{Path, PathBuf};

use glimpse::{Settings, adjusted_rand_index};
use serde_json::json;

use super::files::{Output, decode, frame, images_in, labelled_images, probe};
use super::report::Progress;
use super::{Model, session, shown};

pub fn run(model: &Model, dir: &Path, output: Option<&Output>, groups: Option<usize>, settings: Settings, json: bool) -> Result<i32, String> {
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
    images.iter().try_for_each(|p| probe(p))?;
    if let Some(output) = output {
        output.check()?;
    }
    let session = session(model)?;
    session.set_settings(settings).map_err(|e| e.to_string())?;
    let unsorted = session.add_class(Some("Unsorted")).map_err(|e| e.to_string())?;
    let mut captures = Vec::with_capacity(images.len());
    let mut progress = Progress::new("features", images.len());
    for path in &images {
        let image = decode(path)?;
        let added = pollster::block_on(session.capture(unsorted, frame(path, &image)?)).map_err(|e| format!("{}: {e}", path.display()))?;
        captures.push(added.ids);
        progress.advance(1);
    }
    drop(progress);
    let proposal = session.group(unsorted, groups).map_err(|e| format!("{}: {e}", dir.display()))?;
    let group_of: Vec<usize> =
        captures.iter().map(|ids| proposal.groups.iter().position(|g| g.contains(&ids[0])).expect("every capture is in a group")).collect();
    let rand_index = labels.map(|labels| adjusted_rand_index(&labels, &group_of));
    if let Some(output) = output {
        let groups: Vec<(String, Vec<u32>)> = proposal.groups.iter().enumerate().map(|(i, g)| (format!("Group {}", i + 1), g.clone())).collect();
        session.sort_into(unsorted, &groups).map_err(|e| e.to_string())?;
        output.write(&session.save())?;
    }
    if json {
        let assigned: Vec<_> = images.iter().zip(&group_of).map(|(p, g)| json!({ "path": shown(p), "group": g + 1 })).collect();
        let silhouettes: Vec<_> = proposal.silhouettes.iter().map(|(k, s)| json!({ "groups": k, "silhouette": s })).collect();
        let project = output.map(|o| shown(&o.path));
        println!(
            "{}",
            json!({ "images": assigned, "silhouettes": silhouettes, "groups": proposal.groups.len(), "adjustedRandIndex": rand_index, "project": project })
        );
        return Ok(0);
    }
    for (path, g) in images.iter().zip(&group_of) {
        println!("{}\tgroup {}", shown(path), g + 1);
    }
    let scores: Vec<String> = proposal.silhouettes.iter().map(|(k, s)| format!("{k}: {s:.3}")).collect();
    println!("silhouette per number of groups: {}", scores.join(", "));
    if let Some(output) = output {
        println!("wrote {} with a class per group (rename them, then glimpse train can use it)", output.path.display());
    }
    if let Some(ari) = rand_index {
        println!("adjusted Rand index against the folders: {ari:.4}");
    }
    println!("groups: {}", proposal.groups.len());
    Ok(0)
}
