//! A handful of releases written for this project, so a newcomer sees
//! working feeds at once (`serve --demo` on an empty database).

use crate::domain::{ReleaseInput, markdown_to_html};
use chrono::{DateTime, Duration, SecondsFormat, Utc};

fn at(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn demo_releases(now: DateTime<Utc>) -> Vec<ReleaseInput> {
    let org = "Harbour City Council";
    let base = |slug: &str, title: &str, hours_ago: i64, topics: &[&str]| ReleaseInput {
        slug: slug.into(),
        title: title.into(),
        organization: org.into(),
        department: Some("Communications Office".into()),
        dateline: Some("Harbour City".into()),
        lang: "en".into(),
        published_at: at(now - Duration::hours(hours_ago)),
        topics: topics.iter().map(|t| (*t).to_owned()).collect(),
        status: Some("published".into()),
        ..Default::default()
    };
    // Written in Markdown, as an admin would in the form, which shows it
    // again when a demo release is opened there.
    vec![
        ReleaseInput {
            summary: Some("Three new routes and later evening services start on Monday.".into()),
            body_markdown: Some("The Council today confirmed that three new bus routes will start running on Monday, linking the northern estates with the hospital and the ferry terminal.\n\nEvening services on the harbour line will run until 23:30 on weekdays. Timetables are available at every stop and in the city app.\n\n“People asked for later buses and simpler connections, and this is the first step,” said the Council's transport lead.\n\n\\# # #".into()),
            ..base("new-bus-routes-from-monday", "New bus routes and later evening services from Monday", 2, &["transport", "city-services"])
        },
        ReleaseInput {
            summary: Some("Water at all public beaches meets the highest standard for the third year.".into()),
            body_markdown: Some("All six public beaches have again been rated **excellent** for bathing water quality, following sampling from May to September.\n\nResults for each beach, including the sampling dates, are published in the environment section of the Council website.\n\n\\# # #".into()),
            ..base("beaches-rated-excellent", "Beaches rated excellent for water quality", 26, &["environment"])
        },
        ReleaseInput {
            summary: Some("Residents can comment on the draft budget until the end of the month.".into()),
            body_markdown: Some("The draft budget for next year is open for comment. It proposes more money for road repairs & street lighting, and a freeze on parking charges.\n\nComments can be sent online or handed in at any library.\n\n\\# # #".into()),
            ..base("draft-budget-consultation", "Draft budget open for comment", 50, &["city-services", "budget"])
        },
        ReleaseInput {
            summary: Some("إعلان عن ساعات العمل الجديدة لمراكز خدمة المواطنين.".into()),
            body_markdown: Some("يعلن المجلس البلدي أن مراكز خدمة المواطنين ستفتح أبوابها من الساعة الثامنة صباحاً حتى السادسة مساءً اعتباراً من الأسبوع المقبل.\n\nويمكن حجز المواعيد عبر الموقع الإلكتروني أو بالهاتف.\n\n\\# # #".into()),
            lang: "ar".into(),
            dateline: Some("مدينة الميناء".into()),
            ..base("service-centre-hours-ar", "ساعات عمل جديدة لمراكز خدمة المواطنين", 5, &["city-services"])
        },
        ReleaseInput {
            summary: Some("Embargoed: the harbour bridge reopens after repairs.".into()),
            body_markdown: Some("The harbour bridge reopens to traffic today after eight weeks of repairs to its deck and railings.\n\nCyclists now have a separate lane on the seaward side.\n\n\\# # #".into()),
            published_at: at(now + Duration::minutes(5)),
            ..base("harbour-bridge-reopens", "Harbour bridge reopens after repairs", 0, &["transport"])
        },
    ]
    .into_iter()
    .map(|mut r| {
        r.body_html = markdown_to_html(r.body_markdown.as_deref().unwrap_or_default());
        r
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_content_is_valid_and_varied() {
        let now = Utc::now();
        let all = demo_releases(now);
        assert!(all.iter().all(|r| r.validate().is_ok()));
        assert!(all.iter().any(|r| r.lang == "ar"));
        assert!(all.iter().any(|r| r.validate().unwrap().published_at > now));
        for r in &all {
            let d = r.validate().unwrap();
            assert!(d.body_html.starts_with("<p>"), "{}", d.body_html);
            assert!(d.body_source.as_deref().unwrap().ends_with("\\# # #"));
        }
    }
}
