//! Model cards: Markdown rendered to HTML and sanitized, so a card can format text but never run
//! script or restyle the page.

use crate::server::highlight;
use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};

/// Renders Markdown to sanitized HTML. Headings move down one level: the page's own `h1` is the
/// model name.
pub fn render_markdown(source: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES;
    let mut events = Vec::new();
    // A fenced block in a language the highlighter knows: its language and text so far.
    let mut code: Option<(String, String)> = None;
    for event in Parser::new_ext(source, options) {
        match (event, &mut code) {
            (Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(lang))), None)
                if highlight::highlight(&lang, "").is_some() =>
            {
                code = Some((lang.to_string(), String::new()));
            }
            (Event::Text(text), Some((_, body))) => body.push_str(&text),
            (Event::End(TagEnd::CodeBlock), Some(_)) => {
                if let Some((lang, body)) = code.take() {
                    let html = highlight::highlight(&lang, &body).unwrap_or_default();
                    events.push(Event::Html(html.into()));
                }
            }
            (
                Event::Start(Tag::Heading {
                    level,
                    id,
                    classes,
                    attrs,
                }),
                _,
            ) => {
                events.push(Event::Start(Tag::Heading {
                    level: demote(level),
                    id,
                    classes,
                    attrs,
                }));
            }
            (Event::End(TagEnd::Heading(level)), _) => {
                events.push(Event::End(TagEnd::Heading(demote(level))));
            }
            (other, _) => events.push(other),
        }
    }
    let mut unsafe_html = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut unsafe_html, events.into_iter());
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .add_allowed_classes("span", highlight::CLASSES)
        .clean(&unsafe_html)
        .to_string()
}

fn demote(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H2,
        HeadingLevel::H2 => HeadingLevel::H3,
        HeadingLevel::H3 => HeadingLevel::H4,
        HeadingLevel::H4 => HeadingLevel::H5,
        HeadingLevel::H5 | HeadingLevel::H6 => HeadingLevel::H6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_headings_one_level_down_and_lists() {
        let html = render_markdown("# Churn\n\n- a\n- b\n");
        assert!(html.contains("<h2>Churn</h2>"), "{html}");
        assert!(html.contains("<li>a</li>"), "{html}");
    }

    #[test]
    fn removes_scripts_handlers_and_javascript_links() {
        let html = render_markdown(
            "hi <script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3))",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
    }

    #[test]
    fn code_blocks_are_highlighted_and_stay_sanitized() {
        let html = render_markdown(
            "```python\nimport joblib  # load\n```\n\n```text\nplain <b>\n```\n\n<span class=\"tok-k\" onclick=\"x()\">k</span>",
        );
        assert!(
            html.contains("<pre><code><span class=\"tok-k\">import</span> joblib  <span class=\"tok-c\"># load</span>"),
            "{html}"
        );
        assert!(html.contains("plain &lt;b&gt;"), "{html}");
        assert!(!html.contains("onclick"), "{html}");
    }

    #[test]
    fn tables_render() {
        let html = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n");
        assert!(html.contains("<table>"), "{html}");
    }
}
