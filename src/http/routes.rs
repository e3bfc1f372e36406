//! Every route of the site in one table: its name, method, path (the URL
//! contract of DESIGN.md), who may call it, and its metric label. The
//! router (`src/router.rs`) attaches a handler to each name; URLs are built
//! from names ([`url`]); the newsroom's guard asks [`access_for`]; metrics
//! ask [`label`]; templates call [`href`]. Nothing at or above this layer
//! spells a path out. Below it, `src/feeds/` (pure functions of the data,
//! which cannot use an `http` table) still writes the URLs feeds carry.

use actix_web::http::Method;

/// A route, by what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Name {
    FeedAtom,
    FeedRss,
    FeedJson,
    Opml,
    TopicFeed,
    ArchiveFeed,
    TopicArchiveFeed,
    LangFeed,
    TopicLangFeed,
    ArchivePage,
    Home,
    Release,
    Topics,
    Topic,
    Search,
    SearchFeed,
    PrivateFeed,
    PrivateTopicFeed,
    PrivateMedia,
    Healthz,
    Stylesheet,
    AdminStylesheet,
    Metrics,
    Hub,
    AdminHome,
    LoginForm,
    Login,
    Logout,
    LogoutEverywhere,
    NewRelease,
    CreateRelease,
    EditRelease,
    UpdateRelease,
    RetractForm,
    Retract,
    Restore,
    Subscriptions,
    RemoveSubscription,
    Accreditations,
    CreateAccreditation,
    RevokeAccreditation,
    AdminTopics,
    AdminOrganizations,
    SaveOrganizationAbout,
    CreateTopic,
    UpdateTopic,
    DeleteTopic,
    ApiList,
    ApiCreate,
    ApiShow,
    ApiPut,
    Media,
    AdminMedia,
    ApiMedia,
    ApiOrganizations,
    ApiSetOrganizationAbout,
}

/// Which methods a route answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// GET, and HEAD with the GET's headers and no body.
    Read,
    Get,
    Post,
    Put,
}

impl Verb {
    pub fn allows(self, m: &Method) -> bool {
        match self {
            Verb::Read => *m == Method::GET || *m == Method::HEAD,
            Verb::Get => *m == Method::GET,
            Verb::Post => *m == Method::POST,
            Verb::Put => *m == Method::PUT,
        }
    }
}

/// Who may call a newsroom route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (the sign-in form). POSTs still need the CSRF token.
    Public,
    /// A signed-in admin; POSTs need the CSRF token.
    Admin,
    /// Like `Admin`, and the request carries a long text that must survive
    /// an expired session or a stale token (the release form).
    AdminKeepsDraft,
}

/// Where a route is served, and behind what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// The public site.
    Site,
    /// Under [`ADMIN`], behind the newsroom's guard.
    Newsroom(Access),
    /// Under [`API`], behind the bearer-token guard.
    Api,
    /// The private `metrics_bind` listener only.
    Private,
    /// The built-in WebSub hub, when it is on.
    Hub,
}

/// A scope: its path prefix and the one metric label of everything under
/// it (unknown paths included).
pub struct Scope {
    pub prefix: &'static str,
    pub label: &'static str,
}

pub const ADMIN: Scope = Scope {
    prefix: "/admin",
    label: "/admin",
};
pub const API: Scope = Scope {
    prefix: "/api/v1",
    label: "/api/v1",
};

pub struct Route {
    pub name: Name,
    pub verb: Verb,
    /// Full path pattern; `{x}` stands for one segment or part of one.
    pub path: &'static str,
    pub area: Area,
    /// The `route` label of its metrics (scoped routes use the scope's).
    pub label: &'static str,
}

const fn site(name: Name, path: &'static str, label: &'static str) -> Route {
    Route {
        name,
        verb: Verb::Read,
        path,
        area: Area::Site,
        label,
    }
}

const fn newsroom(name: Name, verb: Verb, path: &'static str, access: Access) -> Route {
    Route {
        name,
        verb,
        path,
        area: Area::Newsroom(access),
        label: ADMIN.label,
    }
}

const fn api(name: Name, verb: Verb, path: &'static str) -> Route {
    Route {
        name,
        verb,
        path,
        area: Area::Api,
        label: API.label,
    }
}

/// Every route, in the order the router registers them: the most polled
/// feeds first, as plain strings ahead of every pattern (three fixed paths
/// rather than `/feed.{format}`, which actix matches with a regex).
pub const ROUTES: &[Route] = {
    use Access::{Admin, AdminKeepsDraft};
    use Name::*;
    use Verb::{Get, Post, Put};
    &[
        site(FeedAtom, "/feed.atom", "/feed.{format}"),
        site(FeedRss, "/feed.rss", "/feed.{format}"),
        site(FeedJson, "/feed.json", "/feed.{format}"),
        site(Opml, "/topics.opml", "/topics.opml"),
        site(
            TopicFeed,
            "/topics/{slug}/feed.{format}",
            "/topics/{slug}/feed.{format}",
        ),
        site(
            ArchiveFeed,
            "/archive/{year}/{month}/feed.{format}",
            "/archive/{year}/{month}/feed.{format}",
        ),
        site(
            TopicArchiveFeed,
            "/topics/{slug}/archive/{year}/{month}/feed.{format}",
            "/topics/{slug}/archive/{year}/{month}/feed.{format}",
        ),
        site(
            LangFeed,
            "/lang/{tag}/feed.{format}",
            "/lang/{tag}/feed.{format}",
        ),
        site(
            TopicLangFeed,
            "/topics/{slug}/lang/{tag}/feed.{format}",
            "/topics/{slug}/lang/{tag}/feed.{format}",
        ),
        site(
            ArchivePage,
            "/archive/{year}/{month}/",
            "/archive/{year}/{month}/",
        ),
        site(Home, "/", "/"),
        site(Release, "/releases/{slug}", "/releases/{slug}"),
        site(Topics, "/topics", "/topics"),
        site(Topic, "/topics/{slug}", "/topics/{slug}"),
        site(Search, "/search", "/search"),
        site(SearchFeed, "/search.{format}", "/search.{format}"),
        site(
            PrivateFeed,
            "/private/{token}/feed.{format}",
            "/private/{token}/feed.{format}",
        ),
        site(
            PrivateTopicFeed,
            "/private/{token}/topics/{slug}/feed.{format}",
            "/private/{token}/topics/{slug}/feed.{format}",
        ),
        site(
            PrivateMedia,
            "/private/{token}/media/{sha256}/{filename}",
            "/private/{token}/media",
        ),
        site(Healthz, "/healthz", "/healthz"),
        site(Media, "/media/{sha256}/{filename}", "/media"),
        site(Stylesheet, "/static/style.css", "/static"),
        site(AdminStylesheet, "/static/admin.css", "/static"),
        Route {
            name: Metrics,
            verb: Verb::Read,
            path: "/metrics",
            area: Area::Private,
            label: "/metrics",
        },
        Route {
            name: Hub,
            verb: Verb::Post,
            path: "/websub",
            area: Area::Hub,
            label: "/websub",
        },
        newsroom(AdminHome, Get, "/admin", Admin),
        newsroom(LoginForm, Get, "/admin/login", Access::Public),
        newsroom(Login, Post, "/admin/login", Access::Public),
        newsroom(Logout, Post, "/admin/logout", Admin),
        newsroom(LogoutEverywhere, Post, "/admin/logout-everywhere", Admin),
        newsroom(NewRelease, Get, "/admin/releases/new", Admin),
        newsroom(CreateRelease, Post, "/admin/releases/new", AdminKeepsDraft),
        newsroom(EditRelease, Get, "/admin/releases/{id}/edit", Admin),
        newsroom(
            UpdateRelease,
            Post,
            "/admin/releases/{id}/edit",
            AdminKeepsDraft,
        ),
        newsroom(RetractForm, Get, "/admin/releases/{id}/retract", Admin),
        newsroom(Retract, Post, "/admin/releases/{id}/retract", Admin),
        newsroom(Restore, Post, "/admin/releases/{id}/restore", Admin),
        newsroom(Subscriptions, Get, "/admin/subscriptions", Admin),
        newsroom(
            RemoveSubscription,
            Post,
            "/admin/subscriptions/{id}/remove",
            Admin,
        ),
        newsroom(Accreditations, Get, "/admin/accreditations", Admin),
        newsroom(CreateAccreditation, Post, "/admin/accreditations", Admin),
        newsroom(
            RevokeAccreditation,
            Post,
            "/admin/accreditations/{id}/revoke",
            Admin,
        ),
        newsroom(
            AdminMedia,
            Verb::Read,
            "/admin/media/{sha256}/{filename}",
            Admin,
        ),
        newsroom(AdminTopics, Get, "/admin/topics", Admin),
        newsroom(CreateTopic, Post, "/admin/topics", Admin),
        newsroom(UpdateTopic, Post, "/admin/topics/{slug}", Admin),
        newsroom(DeleteTopic, Post, "/admin/topics/{slug}/delete", Admin),
        newsroom(AdminOrganizations, Get, "/admin/organizations", Admin),
        newsroom(SaveOrganizationAbout, Post, "/admin/organizations", Admin),
        api(ApiList, Get, "/api/v1/releases"),
        api(ApiCreate, Post, "/api/v1/releases"),
        api(ApiShow, Get, "/api/v1/releases/{slug}"),
        api(ApiPut, Put, "/api/v1/releases/{slug}"),
        api(ApiMedia, Post, "/api/v1/media"),
        api(ApiOrganizations, Get, "/api/v1/organizations"),
        api(ApiSetOrganizationAbout, Put, "/api/v1/organizations"),
    ]
};

/// The table's entry for `name`.
pub fn route(name: Name) -> &'static Route {
    ROUTES
        .iter()
        .find(|r| r.name == name)
        .expect("every name has a route (tested)")
}

/// [`url`] for templates, which write
/// `{{ crate::http::routes::href(crate::http::routes::Name::Topics) }}`.
pub fn href(name: Name) -> String {
    url(name, &[])
}

/// [`url`] with one part, of any type that displays (a slug, an id).
pub fn href_of(name: Name, part: impl std::fmt::Display) -> String {
    url(name, &[&part.to_string()])
}

/// [`url`] with two parts (a topic's feed: its slug and the format).
pub fn href_of2(name: Name, a: impl std::fmt::Display, b: impl std::fmt::Display) -> String {
    url(name, &[&a.to_string(), &b.to_string()])
}

/// The path of `name` with its `{…}` parts filled in order from `params`
/// (an absent one stays empty); the caller escapes what needs escaping.
pub fn url(name: Name, params: &[&str]) -> String {
    let pattern = route(name).path;
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut params = params.iter();
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        out.push_str(params.next().copied().unwrap_or(""));
        rest = rest[open..]
            .find('}')
            .map_or("", |close| &rest[open + close + 1..]);
    }
    out.push_str(rest);
    out
}

/// The values of `pattern`'s `{…}` parts in `path`, when it fits: each
/// stands for a non-empty piece of one segment, as actix matches it.
pub fn captures<'p>(pattern: &str, path: &'p str) -> Option<Vec<&'p str>> {
    let mut found = Vec::new();
    let (mut p, mut s) = (pattern.split('/'), path.split('/'));
    loop {
        match (p.next(), s.next()) {
            (None, None) => return Some(found),
            (Some(want), Some(got)) => match want.split_once('{') {
                None if want == got => {}
                None => return None,
                Some((before, param)) => {
                    let after = param.split_once('}').map_or("", |(_, a)| a);
                    let value = got.strip_prefix(before)?.strip_suffix(after)?;
                    if value.is_empty() {
                        return None;
                    }
                    found.push(value);
                }
            },
            _ => return None,
        }
    }
}

/// Whether `path` fits `pattern`.
pub fn matches(pattern: &str, path: &str) -> bool {
    captures(pattern, path).is_some()
}

/// The route a request is for, if any.
pub fn find(method: &Method, path: &str) -> Option<&'static Route> {
    ROUTES
        .iter()
        .find(|r| r.verb.allows(method) && matches(r.path, path))
}

/// The access rule for a request under `/admin`; anything not listed
/// needs an admin.
pub fn access_for(method: &Method, path: &str) -> Access {
    match find(method, path).map(|r| r.area) {
        Some(Area::Newsroom(access)) => access,
        _ => Access::Admin,
    }
}

/// Whether `path` is `scope`'s prefix or under it.
pub fn in_scope(scope: &Scope, path: &str) -> bool {
    path.strip_prefix(scope.prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The metric label of a path: its route's, or its scope's; a handful of
/// fixed names (no allocation), "(other)" for anything unknown.
pub fn label(path: &str) -> &'static str {
    for scope in [&ADMIN, &API] {
        if in_scope(scope, path) {
            return scope.label;
        }
    }
    ROUTES
        .iter()
        .filter(|r| matches!(r.area, Area::Site | Area::Private | Area::Hub))
        .find(|r| matches(r.path, path))
        .map_or("(other)", |r| r.label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_has_one_route_per_method_and_a_label() {
        for r in ROUTES {
            assert_eq!(route(r.name).path, r.path, "{:?} is listed once", r.name);
            assert!(r.path.starts_with('/'), "{}", r.path);
            assert!(!r.label.is_empty());
            match r.area {
                Area::Newsroom(_) => {
                    assert!(in_scope(&ADMIN, r.path), "{}", r.path);
                    assert_eq!(label(r.path), ADMIN.label);
                }
                Area::Api => {
                    assert!(in_scope(&API, r.path), "{}", r.path);
                    assert_eq!(label(r.path), API.label);
                }
                Area::Site | Area::Private | Area::Hub => assert_eq!(label(r.path), r.label),
            }
            let same = ROUTES
                .iter()
                .filter(|o| o.path == r.path && o.verb == r.verb)
                .count();
            assert_eq!(same, 1, "{} {:?} twice", r.path, r.verb);
        }
    }

    #[test]
    fn paths_map_to_few_route_labels() {
        assert_eq!(label("/feed.atom"), "/feed.{format}");
        assert_eq!(
            label("/topics/health/feed.rss"),
            "/topics/{slug}/feed.{format}"
        );
        assert_eq!(label("/topics/health"), "/topics/{slug}");
        assert_eq!(label("/releases/x"), "/releases/{slug}");
        assert_eq!(label("/search"), "/search");
        assert_eq!(label("/search.atom"), "/search.{format}");
        assert_eq!(label("/admin/releases/3/edit"), "/admin");
        assert_eq!(label("/admin/nope"), "/admin");
        assert_eq!(label("/api/v1/releases"), "/api/v1");
        assert_eq!(label("/api/v1/nope"), "/api/v1");
        assert_eq!(label("/static/style.css"), "/static");
        assert_eq!(label("/metrics"), "/metrics");
        assert_eq!(label("/websub"), "/websub");
        assert_eq!(label("/administrator"), "(other)");
        assert_eq!(label("/wp-login.php"), "(other)");
    }

    #[test]
    fn patterns_match_whole_segments() {
        let edit = route(Name::EditRelease).path;
        assert_eq!(captures(edit, "/admin/releases/7/edit"), Some(vec!["7"]));
        assert!(!matches(edit, "/admin/releases//edit"));
        assert!(!matches(edit, "/admin/releases/7/edit/x"));
        assert!(!matches("/admin", "/admin/"));
        let feed = route(Name::TopicFeed).path;
        assert_eq!(
            captures(feed, "/topics/health/feed.atom"),
            Some(vec!["health", "atom"])
        );
        assert!(!matches(feed, "/topics/health/feed."));
        assert!(!matches(feed, "/topics/health/feeds.atom"));
        assert_eq!(access_for(&Method::POST, "/admin/login"), Access::Public);
        assert_eq!(access_for(&Method::GET, "/admin/nope"), Access::Admin);
        assert_eq!(
            access_for(&Method::POST, "/admin/releases/3/edit"),
            Access::AdminKeepsDraft
        );
    }

    #[test]
    fn urls_are_built_from_names() {
        assert_eq!(url(Name::EditRelease, &["12"]), "/admin/releases/12/edit");
        assert_eq!(
            url(Name::TopicFeed, &["health", "json"]),
            "/topics/health/feed.json"
        );
        assert_eq!(url(Name::AdminHome, &[]), "/admin");
        assert_eq!(url(Name::ApiShow, &["a-b"]), "/api/v1/releases/a-b");
    }

    /// Pages link through the table too: a template that writes a path by
    /// hand would keep the old one when a route moves.
    #[test]
    fn templates_spell_no_path_out() {
        fn walk(dir: &std::path::Path, found: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).expect("templates/ is readable") {
                let path = entry.expect("a directory entry").path();
                if path.is_dir() {
                    walk(&path, found);
                    continue;
                }
                let text = std::fs::read_to_string(&path).expect("a template");
                for attr in ["href=\"/", "action=\"/", "src=\"/"] {
                    if text.contains(attr) {
                        found.push(format!("{}: {attr}", path.display()));
                    }
                }
            }
        }
        let mut found = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates"),
            &mut found,
        );
        assert!(found.is_empty(), "{found:#?}");
        assert_eq!(
            href_of2(Name::TopicFeed, "health", "atom"),
            "/topics/health/feed.atom"
        );
        assert_eq!(href_of(Name::EditRelease, 12), "/admin/releases/12/edit");
    }
}
