//! Routes a deployment config names (`config-route` facts from `vercel.json` crons, by the
//! frameworks' `config` entries): the platform calls them itself on a schedule, so their
//! handlers are entries of the config's kind (`job`), not requests a customer made.

use super::RepoModel;
use super::extract::CONFIG_ROUTE_FACT;
use crate::intern::intern;

/// The URL path a file-routed handler serves: `app/api/cron/expire/route.ts` and
/// `pages/api/cron/expire.ts` serve `/api/cron/expire`; route groups (`(admin)`) add nothing.
/// None for a file no router names by its path.
pub fn route_url(rel: &str) -> Option<String> {
    let stem = rel.rsplit_once('.').map_or(rel, |(s, _)| s);
    let mut segs: Vec<&str> = stem.split('/').collect();
    if matches!(segs.last(), Some(&("route" | "index" | "+server"))) {
        segs.pop();
    }
    let from = match segs.iter().rposition(|s| *s == "app" || *s == "pages") {
        Some(i) => i + 1,
        None => segs.iter().position(|s| *s == "api")?,
    };
    let path: Vec<&str> = segs[from..]
        .iter()
        .copied()
        .filter(|s| !(s.starts_with('(') && s.ends_with(')')))
        .collect();
    Some(format!("/{}", path.join("/")))
}

/// A config's route as a URL path: no query, no trailing slash.
fn normalise(route: &str) -> &str {
    let path = route.split(['?', '#']).next().unwrap_or(route);
    match path.trim_end_matches('/') {
        "" => "/",
        p => p,
    }
}

/// Gives the handlers of every route a config names the config's entry kind.
pub fn apply(model: &mut RepoModel) {
    let routes: Vec<(String, &'static str)> = model
        .facts
        .iter()
        .filter(|f| f.fact == CONFIG_ROUTE_FACT)
        .filter_map(|f| {
            Some((
                normalise(f.value("route")?).to_string(),
                intern(f.value("kind")?),
            ))
        })
        .collect();
    if routes.is_empty() {
        return;
    }
    for u in &mut model.units {
        if u.entry.is_none() {
            continue;
        }
        let Some(url) = route_url(&model.files[u.file].rel) else {
            continue;
        };
        if let Some((_, kind)) = routes.iter().find(|(r, _)| *r == url) {
            u.entry = Some(kind);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_routes_name_their_urls() {
        assert_eq!(
            route_url("app/api/cron/expire/route.ts").as_deref(),
            Some("/api/cron/expire")
        );
        assert_eq!(
            route_url("src/app/(ops)/api/cron/expire/route.ts").as_deref(),
            Some("/api/cron/expire")
        );
        assert_eq!(
            route_url("pages/api/cron/expire.ts").as_deref(),
            Some("/api/cron/expire")
        );
        assert_eq!(
            route_url("pages/api/cron/index.js").as_deref(),
            Some("/api/cron")
        );
        assert_eq!(route_url("api/sweep.ts").as_deref(), Some("/api/sweep"));
        assert_eq!(route_url("src/lib/bookings.ts"), None);
        assert_eq!(normalise("/api/cron/expire/?key=1"), "/api/cron/expire");
    }
}
