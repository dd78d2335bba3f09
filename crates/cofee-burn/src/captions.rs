//! libass rendering and layer compositing on their own thread, ahead of the frames.
//!
//! Caption pictures depend only on timestamps, and decoded frames wait a few frames in the
//! `FrameQueue` anyway (for the decoder to release them), so a second thread renders each
//! frame's layer while the frame waits. On a machine the encoder keeps busy this moves the
//! caption work off the main thread, which feeds x264 and so sits on the critical path.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;

use crate::BurnError;
use crate::layer::{CaptionLayer, ColorMatrix};
use crate::libass::Change;
use crate::schedule::ScheduledRenderer;

/// A frame's captions: `None` when nothing is shown.
pub type FrameCaptions = Option<Arc<CaptionLayer>>;

pub struct CaptionTrack {
    requests: Option<SyncSender<i64>>,
    layers: Receiver<FrameCaptions>,
    worker: Option<JoinHandle<CaptionCounts>>,
}

/// What the caption thread did, for the run's statistics.
#[derive(Debug, Clone, Copy, Default)]
pub struct CaptionCounts {
    /// Calls to libass (the others were known not to change the picture).
    pub renders: u64,
    /// Times the picture changed and the layer was composited again.
    pub changes: u64,
}

/// How far the renderer may run ahead of the frames that consume its layers.
const AHEAD: usize = 64;

impl CaptionTrack {
    pub fn start(
        mut renderer: ScheduledRenderer,
        width: usize,
        height: usize,
        matrix: ColorMatrix,
    ) -> Self {
        let (requests, incoming) = mpsc::sync_channel::<i64>(AHEAD);
        let (outgoing, layers) = mpsc::sync_channel::<FrameCaptions>(AHEAD);
        let worker = std::thread::Builder::new()
            .name("captions".into())
            .spawn(move || {
                let mut current = Arc::new(CaptionLayer::default());
                let mut spares: Vec<Arc<CaptionLayer>> = Vec::new();
                let mut changes = 0;
                for time_ms in incoming {
                    // `None`: the schedule rules out any change, the picture stands.
                    if let Some((change, images)) = renderer.render(time_ms)
                        && change != Change::None
                        && !(images.is_empty() && current.is_empty())
                    {
                        changes += 1;
                        // Reuse a layer no frame holds any more: a pop animation changes the
                        // picture nearly every frame, and fresh buffers cost page faults.
                        let mut next = spares
                            .iter()
                            .position(|l| Arc::strong_count(l) == 1)
                            .map(|i| spares.swap_remove(i))
                            .unwrap_or_default();
                        Arc::get_mut(&mut next)
                            .expect("only the spare list held it")
                            .recompose(&images, width, height, matrix);
                        let previous = std::mem::replace(&mut current, next);
                        if spares.len() < 16 {
                            spares.push(previous);
                        }
                    }
                    let layer = (!current.is_empty()).then(|| Arc::clone(&current));
                    if outgoing.send(layer).is_err() {
                        break;
                    }
                }
                CaptionCounts { renders: renderer.renders(), changes }
            })
            .expect("a thread starts");
        Self { requests: Some(requests), layers, worker: Some(worker) }
    }

    /// Asks for the captions at `time_ms`; answers come back in request order.
    pub fn request(&self, time_ms: i64) {
        if let Some(r) = &self.requests {
            // Only fails if the worker died, which `next` then reports.
            let _ = r.send(time_ms);
        }
    }

    /// The next answer if it is ready (a dead worker shows up in `next`).
    pub fn try_next(&self) -> Option<FrameCaptions> {
        self.layers.try_recv().ok()
    }

    /// The next answer, waiting for it.
    pub fn next(&self) -> Result<FrameCaptions, BurnError> {
        self.layers.recv().map_err(|_| BurnError::Captions("the caption renderer stopped".into()))
    }

    /// Stops the thread; returns what it did.
    pub fn finish(mut self) -> CaptionCounts {
        self.requests = None;
        self.worker.take().and_then(|w| w.join().ok()).unwrap_or_default()
    }
}
