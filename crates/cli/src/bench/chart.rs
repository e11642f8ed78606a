//! The throughput chart of `bench all`: items/s of the initial sync against how many
//! mailboxes sync at once, one line per backend, drawn with plotters into a PNG.

use anyhow::{Context, bail};
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};
use std::path::Path;
use std::sync::OnceLock;

/// The chart's width in pixels.
pub const WIDTH: u32 = 900;
/// The chart's height in pixels.
pub const HEIGHT: u32 = 540;

/// Debian's `fonts-dejavu-core` (licence: Bitstream Vera / public domain changes), read
/// at run time; nothing of it is committed.
pub const DEFAULT_FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// One line of the chart.
#[derive(Debug, Clone)]
pub struct Series {
    /// Its legend.
    pub label: String,
    /// `(mailboxes syncing at once, items/s, label at the point)`.
    pub points: Vec<(f64, f64, String)>,
}

/// The series' colours, in order.
const COLOURS: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
];

/// Registers the TrueType font at `font` as plotters' sans-serif (once per process).
fn use_font(font: &Path) -> anyhow::Result<()> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            let bytes = std::fs::read(font).map_err(|e| {
                format!(
                    "cannot read the chart's font {} ({e}); install Debian's fonts-dejavu-core \
                     or give --font",
                    font.display()
                )
            })?;
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            register_font("sans-serif", FontStyle::Normal, bytes)
                .map_err(|_| format!("{} is not a TrueType font", font.display()))
        })
        .clone()
        .map_err(anyhow::Error::msg)
}

/// Draws `series` into a `WIDTH`×`HEIGHT` PNG at `out`, with text in the font at `font`.
pub fn draw(out: &Path, title: &str, series: &[Series], font: &Path) -> anyhow::Result<()> {
    if series.iter().all(|s| s.points.is_empty()) {
        bail!("the chart has no figures to draw");
    }
    use_font(font)?;
    let mut pixels = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    plot(&mut pixels, title, series).map_err(|e| anyhow::anyhow!("drawing the chart: {e}"))?;
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&pixels)?;
    writer.finish()?;
    Ok(())
}

fn plot(
    pixels: &mut [u8],
    title: &str,
    series: &[Series],
) -> Result<(), Box<dyn std::error::Error>> {
    let root = BitMapBackend::with_buffer(pixels, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let points = series.iter().flat_map(|s| s.points.iter());
    let max_x = points.clone().map(|p| p.0).fold(1.0, f64::max);
    let max_y = points.map(|p| p.1).fold(1.0, f64::max);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..max_x * 1.15, 0.0..max_y * 1.25)?;
    chart
        .configure_mesh()
        .x_desc("mailboxes syncing at once (workers × mailboxes in flight each)")
        .y_desc("items/s")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .draw()?;
    for (n, s) in series.iter().enumerate() {
        let colour = COLOURS[n % COLOURS.len()];
        let line: Vec<(f64, f64)> = s.points.iter().map(|p| (p.0, p.1)).collect();
        chart
            .draw_series(LineSeries::new(line.clone(), colour.stroke_width(2)))?
            .label(s.label.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
            });
        chart.draw_series(line.iter().map(|&p| Circle::new(p, 5, colour.filled())))?;
        chart.draw_series(s.points.iter().map(|(x, y, text)| {
            Text::new(
                text.clone(),
                (*x, *y),
                ("sans-serif", 13).into_font().color(&BLACK),
            )
        }))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The chart is a real PNG of the stated size with each series' colour in it; the font
    /// is Debian's fonts-dejavu-core (installed by scripts/test-deps.sh).
    #[test]
    fn draws_a_png_of_the_expected_size_from_given_figures() {
        let font = Path::new(DEFAULT_FONT);
        if !font.exists() {
            let why = format!("{DEFAULT_FONT} is missing (apt-get install fonts-dejavu-core)");
            assert!(
                std::env::var_os("IMPERSYNC_REQUIRE_ALL").is_none(),
                "IMPERSYNC_REQUIRE_ALL is set but {why}"
            );
            eprintln!("*** skipped: {why} ***");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("chart.png");
        let series = vec![
            Series {
                label: "SQLite".into(),
                points: vec![(8.0, 6000.0, "8".into()), (32.0, 8600.0, "32".into())],
            },
            Series {
                label: "PostgreSQL".into(),
                points: vec![
                    (32.0, 2000.0, "1 worker".into()),
                    (128.0, 5000.0, "4 workers".into()),
                ],
            },
        ];
        draw(&out, "Initial sync", &series, font).unwrap();
        let decoder =
            png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&out).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let info = reader.info();
        assert_eq!((info.width, info.height), (WIDTH, HEIGHT));
        assert_eq!(info.color_type, png::ColorType::Rgb);
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        reader.next_frame(&mut buf).unwrap();
        for colour in &COLOURS[..2] {
            let found = buf
                .chunks_exact(3)
                .any(|px| px == [colour.0, colour.1, colour.2]);
            assert!(found, "no pixel of {colour:?}");
        }
        let dark = buf
            .chunks_exact(3)
            .filter(|px| px.iter().all(|&c| c < 60))
            .count();
        assert!(
            dark > 500,
            "the text and axes are missing ({dark} dark pixels)"
        );
        assert!(draw(&out, "empty", &[], font).is_err());
    }
}
