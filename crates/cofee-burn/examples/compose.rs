//! Renders an ASS document's captions for every frame of a stretch of time and composites each
//! change, without any video: for profiling the caption side alone (e.g. under callgrind).
//!
//!   cargo run --release -p cofee-burn --example compose -- captions.ass fonts/ [width height fps seconds]

use std::path::Path;

use cofee_burn::{
    AssRenderer, CaptionLayer, Change, ChangeSchedule, ColorMatrix, Planes, ScheduledRenderer,
};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [ass, fonts, rest @ ..] = args.as_slice() else {
        eprintln!("usage: compose CAPTIONS.ass FONTS_DIR [WIDTH HEIGHT FPS SECONDS]");
        std::process::exit(2);
    };
    let num =
        |i: usize, default: u32| rest.get(i).map_or(default, |v| v.parse().expect("a number"));
    let (w, h, fps, secs) = (num(0, 1080), num(1, 1920), num(2, 30), num(3, 45));
    let document = std::fs::read_to_string(ass).expect("the ASS file");
    let mut renderer = ScheduledRenderer::new(
        AssRenderer::new(&document, Path::new(fonts), w, h).expect("libass"),
        ChangeSchedule::parse(&document),
    );
    let mut layer = CaptionLayer::default();
    let mut frame = vec![128u8; (w * h * 3 / 2) as usize];
    let mut changes = 0;
    for i in 0..i64::from(fps * secs) {
        let t = i * 1000 / i64::from(fps);
        if let Some((change, images)) = renderer.render(t)
            && change != Change::None
        {
            changes += 1;
            layer.recompose(&images, w as usize, h as usize, ColorMatrix::BT709);
        }
        let (y, chroma) = frame.split_at_mut((w * h) as usize);
        let (cb, cr) = chroma.split_at_mut((w * h / 4) as usize);
        layer.draw(Planes {
            y,
            y_stride: w as usize,
            cb,
            cb_stride: w as usize / 2,
            cr,
            cr_stride: w as usize / 2,
        });
    }
    println!("{} libass renders, {changes} changes over {} frames", renderer.renders(), fps * secs);
}
