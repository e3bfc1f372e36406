//! Which handler answers each route of the table (`http::routes`): the one
//! place handlers meet paths, in the manner of crates.io's `router.rs`.
//! Startup hands each area its resources; the newsroom and the API wrap
//! theirs in their guards.

use crate::http::routes::{Area, Name, ROUTES, Verb};
use crate::{admin, api, http};
use actix_web::{Resource, Route, guard, web};

/// The handler of each route; a new name does not compile without one.
fn attach(name: Name, r: Route) -> Route {
    use Name::*;
    match name {
        FeedAtom | FeedRss | FeedJson => r.to(http::feeds::global_feed),
        Opml => r.to(http::feeds::opml),
        TopicFeed => r.to(http::feeds::topic_feed),
        ArchiveFeed => r.to(http::feeds::archive_feed),
        TopicArchiveFeed => r.to(http::feeds::topic_archive_feed),
        LangFeed => r.to(http::feeds::lang_feed),
        TopicLangFeed => r.to(http::feeds::topic_lang_feed),
        ArchivePage => r.to(http::pages::month),
        Home => r.to(http::pages::home),
        Release => r.to(http::pages::release),
        Topics => r.to(http::pages::topics),
        Topic => r.to(http::pages::topic),
        Search => r.to(http::search::page),
        SearchFeed => r.to(http::search::feed),
        PrivateFeed => r.to(http::private::global_feed),
        PrivateTopicFeed => r.to(http::private::topic_feed),
        PrivateMedia => r.to(http::private::media),
        Healthz => r.to(http::pages::healthz),
        Stylesheet => r.to(http::pages::stylesheet),
        AdminStylesheet => r.to(admin::views::stylesheet),
        Metrics => r.to(http::observe::metrics_endpoint),
        Hub => r.to(crate::websub::subscribe::post),
        AdminHome => r.to(admin::releases::list),
        LoginForm => r.to(admin::login::form),
        Login => r.to(admin::login::submit),
        Logout => r.to(admin::login::logout),
        LogoutEverywhere => r.to(admin::login::logout_everywhere),
        NewRelease => r.to(admin::releases::new_form),
        CreateRelease => r.to(admin::releases::create),
        EditRelease => r.to(admin::releases::edit_form),
        UpdateRelease => r.to(admin::releases::update),
        RetractForm => r.to(admin::releases::retract_form),
        Retract => r.to(admin::releases::retract),
        Restore => r.to(admin::releases::restore),
        Subscriptions => r.to(admin::subscriptions::list),
        RemoveSubscription => r.to(admin::subscriptions::remove),
        Accreditations => r.to(admin::accreditations::list),
        CreateAccreditation => r.to(admin::accreditations::create),
        RevokeAccreditation => r.to(admin::accreditations::revoke),
        AdminTopics => r.to(admin::topics::list),
        CreateTopic => r.to(admin::topics::create),
        UpdateTopic => r.to(admin::topics::update),
        DeleteTopic => r.to(admin::topics::delete),
        AdminOrganizations => r.to(admin::organizations::list),
        SaveOrganizationAbout => r.to(admin::organizations::save),
        ApiList => r.to(api::list),
        ApiCreate => r.to(api::create),
        ApiShow => r.to(api::show),
        ApiPut => r.to(api::put),
        Media => r.to(http::media::serve),
        AdminMedia => r.to(admin::media::serve),
        ApiMedia => r.to(api::media::upload),
        ApiOrganizations => r.to(api::organizations::list),
        ApiSetOrganizationAbout => r.to(api::organizations::put),
    }
}

fn for_verb(verb: Verb) -> Route {
    match verb {
        Verb::Read => web::route().guard(guard::Any(guard::Get()).or(guard::Head())),
        Verb::Get => web::get(),
        Verb::Post => web::post(),
        Verb::Put => web::put(),
    }
}

/// One resource per path of the routes `keep` selects (each with its
/// methods), in table order, with `prefix` (their scope's) cut off.
fn resources(keep: impl Fn(Area) -> bool, prefix: &str) -> Vec<Resource> {
    let mut paths: Vec<&'static str> = Vec::new();
    for r in ROUTES.iter().filter(|r| keep(r.area)) {
        if !paths.contains(&r.path) {
            paths.push(r.path);
        }
    }
    paths
        .into_iter()
        .map(|path| {
            let relative = path.strip_prefix(prefix).unwrap_or(path);
            ROUTES
                .iter()
                .filter(|r| r.path == path && keep(r.area))
                .fold(web::resource(relative), |res, r| {
                    res.route(attach(r.name, for_verb(r.verb)))
                })
        })
        .collect()
}

/// The public site.
pub fn site(cfg: &mut web::ServiceConfig) {
    for r in resources(|a| a == Area::Site, "") {
        cfg.service(r);
    }
}

/// The newsroom's routes, relative to its scope.
pub fn newsroom() -> Vec<Resource> {
    resources(
        |a| matches!(a, Area::Newsroom(_)),
        http::routes::ADMIN.prefix,
    )
}

/// The API's routes, relative to its scope.
pub fn api() -> Vec<Resource> {
    resources(|a| a == Area::Api, http::routes::API.prefix)
}

/// The built-in WebSub hub's routes.
pub fn hub() -> Vec<Resource> {
    resources(|a| a == Area::Hub, "")
}

/// The private listener: `/metrics`.
pub fn private(cfg: &mut web::ServiceConfig) {
    for r in resources(|a| a == Area::Private, "") {
        cfg.service(r);
    }
}
