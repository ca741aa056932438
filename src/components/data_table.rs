//! The pages' tables: a header naming the columns, one row of cells per item, and what to show
//! when there are none. Pages turn their items into cells (`Vec<AnyView>`), so one table serves
//! every kind of item without a copy of the component per item type in the browser's build.

use leptos::prelude::*;
use std::borrow::Cow;

/// How a table sits on its page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TableStyle {
    /// A list of its own: a white box with a border and a grey header row.
    #[default]
    Framed,
    /// A grey header row on white, without a box (comparisons, one after another).
    Open,
    /// Inside a card that is the box already: a plain header, compact cells.
    Plain,
}

/// One column: its heading, and the classes of its cells.
#[derive(Clone, Debug)]
pub struct Column {
    heading: Cow<'static, str>,
    /// Numbers: the heading lines up with the right-aligned cells.
    right: bool,
    /// A heading only screen readers read (a column of buttons needs no visible title).
    hidden: bool,
    /// The cells are `<th scope="row">`: this column names each row.
    names_rows: bool,
    cell: &'static str,
}

impl Column {
    /// A column headed `heading` whose cells have the classes `cell`.
    pub fn new(heading: impl Into<Cow<'static, str>>, cell: &'static str) -> Self {
        Column {
            heading: heading.into(),
            right: false,
            hidden: false,
            names_rows: false,
            cell,
        }
    }

    /// The column of a row's buttons, headed "Actions" for screen readers only.
    pub fn actions(cell: &'static str) -> Self {
        Self::new("Actions", cell).hidden()
    }

    /// The heading is right-aligned, as numbers are.
    pub fn right(mut self) -> Self {
        self.right = true;
        self
    }

    /// The heading is read by screen readers only.
    pub fn hidden(mut self) -> Self {
        self.hidden = true;
        self
    }

    /// Each cell of this column is the heading of its row.
    pub fn names_rows(mut self) -> Self {
        self.names_rows = true;
        self
    }
}

/// The classes of a column heading.
fn heading_class(style: TableStyle, right: bool, last: bool) -> &'static str {
    match (style, right, last) {
        (TableStyle::Plain, _, false) => "py-1 pr-4",
        (TableStyle::Plain, _, true) => "py-1",
        (_, true, _) => "px-4 py-2 text-right",
        (_, false, _) => "px-4 py-2",
    }
}

/// A table of `rows`, one `AnyView` a cell in the order of `columns`. Without rows it shows
/// `empty` instead, when given.
///
/// Drawn again with new rows, the table updates the rows it has in place. Where a row holds
/// something a reader opens (a delete confirmation), draw the table inside a closure instead, so
/// it is built afresh and an open confirmation never passes to the item that takes its row.
#[component]
pub fn DataTable(
    columns: Vec<Column>,
    rows: Vec<Vec<AnyView>>,
    #[prop(optional)] style: TableStyle,
    /// The table's accessible name.
    #[prop(optional)]
    label: Option<&'static str>,
    /// The id of the element that names the table, instead of `label`.
    #[prop(optional)]
    labelled_by: Option<&'static str>,
    /// Shown instead of the table when there are no rows.
    #[prop(optional)]
    empty: Option<AnyView>,
    /// Cells line up at their top (rows with forms or several lines).
    #[prop(optional)]
    top_aligned: bool,
    /// Classes added to the outermost element (margins).
    #[prop(optional)]
    class: &'static str,
) -> impl IntoView {
    if rows.is_empty()
        && let Some(empty) = empty
    {
        return empty;
    }
    let last = columns.len().saturating_sub(1);
    let head = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let heading = if c.hidden {
                view! { <span class="sr-only">{c.heading.clone()}</span> }.into_any()
            } else {
                c.heading.clone().into_any()
            };
            view! { <th scope="col" class=heading_class(style, c.right, i == last)>{heading}</th> }
        })
        .collect_view();
    let row_class = if top_aligned {
        "border-t border-slate-100 align-top"
    } else {
        "border-t border-slate-100"
    };
    let body = rows
        .into_iter()
        .map(|cells| {
            let cells = cells
                .into_iter()
                .zip(&columns)
                .map(|(cell, column)| {
                    if column.names_rows {
                        view! { <th scope="row" class=column.cell>{cell}</th> }.into_any()
                    } else {
                        view! { <td class=column.cell>{cell}</td> }.into_any()
                    }
                })
                .collect_view();
            view! { <tr class=row_class>{cells}</tr> }
        })
        .collect_view();
    let (head_class, body_class) = match style {
        TableStyle::Plain => ("text-slate-600", None),
        TableStyle::Open => ("bg-slate-100 text-slate-600", Some("bg-white")),
        TableStyle::Framed => ("bg-slate-100 text-slate-600", None),
    };
    let table = |table_class: String| {
        view! {
            <table class=table_class aria-label=label aria-labelledby=labelled_by>
                <thead class=head_class>
                    <tr>{head}</tr>
                </thead>
                <tbody class=body_class>{body}</tbody>
            </table>
        }
    };
    let joined = |extra: &str, base: &str| {
        if extra.is_empty() {
            base.to_owned()
        } else {
            format!("{extra} {base}")
        }
    };
    match style {
        TableStyle::Framed => view! {
            <div class=joined(class, "overflow-x-auto rounded-lg border border-slate-200 bg-white")>
                {table("w-full text-left text-sm".to_owned())}
            </div>
        }
        .into_any(),
        TableStyle::Open | TableStyle::Plain => {
            table(joined(class, "w-full text-left text-sm")).into_any()
        }
    }
}

/// A moment as the tables show it: in `format` (chrono's) for people, RFC 3339 for machines.
pub fn timestamp(at: chrono::DateTime<chrono::Utc>, format: &'static str) -> AnyView {
    view! { <time datetime=at.to_rfc3339()>{at.format(format).to_string()}</time> }.into_any()
}

/// A dash in a cell that has no value.
pub fn no_value() -> AnyView {
    view! { <span class="text-slate-400">"—"</span> }.into_any()
}
