//! Renders an ASS document's captions for every frame of a stretch of time and composites each
//! change, without any video: for profiling the caption side alone (e.g. under callgrind).
//!
//!   cargo run --release -p cofee-burn --example compose -- captions.ass fonts/ [width height fps seconds]

use std::path::Path;

use cofee_burn::{AssRenderer, CaptionLayer, Change, ChangeSchedule, ColorMatrix, Planes};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [ass, fonts, rest @ ..] = args.as_slice() else {
        eprintln!("usage: compose CAPTIONS.ass FONTS_DIR [WIDTH HEIGHT FPS SECONDS]");
        std::process::exit(2);
    };
    let num = |i: usize, default: u32| rest.get(i).map_or(default, |v| v.parse().expect("a number"));
    let (w, h, fps, secs) = (num(0, 1080), num(1, 1920), num(2, 30), num(3, 45));
    let document = std::fs::read_to_string(ass).expect("the ASS file");
    let schedule = ChangeSchedule::parse(&document);
    let mut renderer = AssRenderer::new(&document, Path::new(fonts), w, h).expect("libass");
    let mut layer = CaptionLayer::default();
    let mut frame = vec![128u8; (w * h * 3 / 2) as usize];
    let (mut renders, mut changes, mut rendered_at) = (0, 0, None::<i64>);
    for i in 0..i64::from(fps * secs) {
        let t = i * 1000 / i64::from(fps);
        if rendered_at.is_none_or(|at| schedule.may_change(at, t)) {
            rendered_at = Some(t);
            renders += 1;
            let (change, images) = renderer.render(t);
            if change != Change::None {
                changes += 1;
                if std::env::var_os("COMPOSE_STATS").is_some() && changes % 50 == 1 {
                    let area: usize = images.iter().map(|i| i.width * i.height).sum();
                    let ink: usize = images.iter().map(|i| (0..i.height).map(|r| i.bitmap[r * i.stride..r * i.stride + i.width].iter().filter(|&&v| v != 0).count()).sum::<usize>()).sum();
                    let full: usize = images.iter().map(|i| (0..i.height).map(|r| i.bitmap[r * i.stride..r * i.stride + i.width].iter().filter(|&&v| v == 255).count()).sum::<usize>()).sum();
                    eprintln!("t={t} images={} area={area} ink={ink} full={full} sizes={:?}", images.len(), images.iter().map(|i| (i.width, i.height, i.rgba & 0xff)).collect::<Vec<_>>());
                }
                layer.recompose(&images, w as usize, h as usize, ColorMatrix::BT709);
            }
        }
        let (y, chroma) = frame.split_at_mut((w * h) as usize);
        let (cb, cr) = chroma.split_at_mut((w * h / 4) as usize);
        layer.draw(Planes { y, y_stride: w as usize, cb, cb_stride: w as usize / 2, cr, cr_stride: w as usize / 2 });
    }
    println!("{renders} libass renders, {changes} changes over {} frames", fps * secs);
}
