//! Renders the README screenshot from a real run of the app on a sample (the same drawing code
//! as the terminal, through a TestBackend) to SVG. Ignored by default; regenerate with
//!
//! ```text
//! cargo test --test tui_screenshot -- --ignored
//! convert -density 96 target/tui-screenshot.svg assets/screenshot.png
//! ```
//! (`convert` is ImageMagick's, from Debian's `imagemagick` package, with `fonts-dejavu-core`.)

mod tui_common;

use std::fmt::Write;

use mailsleuth::tui::action::Action;
use mailsleuth::tui::check::Check;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use tui_common::*;

const CELL_W: usize = 9;
const CELL_H: usize = 18;

fn hex(color: Color, fg: bool) -> &'static str {
    match color {
        Color::Reset if fg => "#d0d0d0",
        Color::Reset => "#1c1c1c",
        Color::Black => "#1c1c1c",
        Color::Red | Color::LightRed => "#ef5350",
        Color::Green | Color::LightGreen => "#66bb6a",
        Color::Yellow | Color::LightYellow => "#fdd835",
        Color::Blue | Color::LightBlue => "#42a5f5",
        Color::Magenta | Color::LightMagenta => "#ce93d8",
        Color::Cyan | Color::LightCyan => "#4dd0e1",
        Color::Gray => "#bdbdbd",
        Color::DarkGray => "#616161",
        Color::White => "#ffffff",
        _ => "#d0d0d0",
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub fn svg(buffer: &Buffer) -> String {
    let area = buffer.area;
    let (w, h) = (area.width as usize * CELL_W, area.height as usize * CELL_H);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\">\n\
         <rect width=\"{w}\" height=\"{h}\" fill=\"{}\"/>\n",
        hex(Color::Reset, false)
    );
    for y in 0..area.height {
        for x in 0..area.width {
            let cell = &buffer[(x, y)];
            let reversed = cell.modifier.contains(Modifier::REVERSED);
            let (mut fg, mut bg) = (hex(cell.fg, true), hex(cell.bg, false));
            if reversed {
                std::mem::swap(&mut fg, &mut bg);
            }
            let (px, py) = (x as usize * CELL_W, y as usize * CELL_H);
            if bg != hex(Color::Reset, false) {
                let _ = writeln!(
                    out,
                    "<rect x=\"{px}\" y=\"{py}\" width=\"{CELL_W}\" height=\"{CELL_H}\" fill=\"{bg}\"/>"
                );
            }
            let symbol = cell.symbol();
            if symbol.trim().is_empty() {
                continue;
            }
            let weight = if cell.modifier.contains(Modifier::BOLD) {
                "bold"
            } else {
                "normal"
            };
            let _ = writeln!(
                out,
                "<text x=\"{px}\" y=\"{}\" font-family=\"DejaVu Sans Mono\" font-size=\"15\" \
                 font-weight=\"{weight}\" fill=\"{fg}\" stroke=\"none\">{}</text>",
                py + CELL_H - 5,
                escape(symbol)
            );
        }
    }
    out.push_str("</svg>\n");
    out
}

#[test]
#[ignore = "writes target/tui-screenshot.svg for the README screenshot"]
fn write_screenshot_svg() {
    let (mut app, _, _) = loaded("spoofed-from-dmarc-reject");
    app.go_to_check(Check::Dmarc);
    app.apply(Action::FocusNext);
    app.apply(Action::NextStep);
    app.apply(Action::NextStep);
    let terminal = terminal(&mut app, 100, 30);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tui-screenshot.svg");
    std::fs::write(&path, svg(terminal.backend().buffer())).unwrap();
    eprintln!("wrote {}", path.display());
}
