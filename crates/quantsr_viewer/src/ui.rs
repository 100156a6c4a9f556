//! The controls (an egui window on the right), the HUD (top left: adapter, sizes, frame time
//! against the budget, GPU time per pass, the rung over time) and the magnifier window.

use egui::{Align2, Color32, Pos2, Rect, Sense, Stroke, Vec2, vec2};
use quantsr::gpu::Capabilities;
use quantsr::{PASS_NAMES, QualityMode};

use crate::camera::{CameraMode, CameraRig};
use crate::rungs::{self, Rung};
use crate::settings::{CompareMode, DEBUG_VIEWS, LoadKind, METHODS, Method, Precision, Settings, load_peak_ms};
use crate::telemetry::History;

/// Width of the HUD in points.
const HUD_WIDTH: f32 = 300.0;

/// What the UI needs to show that it does not edit.
pub struct UiInfo<'a> {
    /// Adapter name and backend.
    pub adapter: &'a str,
    /// Device capabilities (which rungs can run).
    pub caps: &'a Capabilities,
    /// Display (output) size in pixels.
    pub display: [u32; 2],
    /// Render size of the last frame.
    pub render: [u32; 2],
    /// Frame history.
    pub history: &'a History,
    /// Whether per-pass GPU times exist on this device.
    pub has_timings: bool,
    /// Name of the scene.
    pub scene: &'a str,
    /// Built-in scenes to switch to (empty for a glTF file).
    pub scenes: &'a [&'a str],
    /// The magnifier's texture, when it is on.
    pub magnifier: Option<egui::TextureId>,
    /// Display pixels per egui point (for pointer positions on the image).
    pub display_per_point: Vec2,
}

/// What the user asked for that is not a setting.
#[derive(Debug, Clone, PartialEq)]
pub enum UiAction {
    /// Save a screenshot.
    Screenshot,
    /// Switch to this built-in scene.
    Scene(String),
}

/// Colour of a rung in the HUD's rung strip (none: a spatial method).
pub fn rung_color(rung: Option<Rung>) -> Color32 {
    match rung {
        None => Color32::from_gray(90),
        Some(Rung::Taau) => Color32::from_rgb(80, 160, 255),
        Some(r) => {
            // Neural rungs from warm (f32) to green (the cheapest).
            let t = r.index() as f32 / (Rung::ALL.len() - 1).max(1) as f32;
            Color32::from_rgb((255.0 * (1.0 - t)) as u8, (120.0 + 100.0 * t) as u8, 60)
        }
    }
}

/// Draws every window for this frame and applies pointer gestures on the image (wipe drag,
/// magnifier follow). Returns the actions requested.
pub fn draw(ctx: &egui::Context, settings: &mut Settings, camera: &mut CameraRig, info: &UiInfo<'_>) -> Vec<UiAction> {
    let mut actions = Vec::new();
    image_gestures(ctx, settings, info);
    if !settings.show_ui {
        return actions;
    }
    hud(ctx, settings, info);
    compare_labels(ctx, settings, info);
    egui::Window::new("quantsr")
        .anchor(Align2::RIGHT_TOP, vec2(-8.0, 8.0))
        .default_width(250.0)
        .resizable(false)
        .collapsible(true)
        .show(ctx, |ui| controls(ui, settings, camera, info, &mut actions));
    if let (true, Some(texture)) = (settings.magnifier.enabled, info.magnifier) {
        egui::Window::new("magnifier")
            .anchor(Align2::LEFT_BOTTOM, vec2(8.0, -8.0))
            .resizable(false)
            .collapsible(true)
            .max_width(256.0)
            .show(ctx, |ui| {
                ui.image(egui::load::SizedTexture::new(texture, vec2(256.0, 256.0)));
                ui.small(format!(
                    "×{} at ({:.0}, {:.0}){}",
                    settings.magnifier.zoom,
                    settings.magnifier.centre[0],
                    settings.magnifier.centre[1],
                    if settings.magnifier.pinned { ", pinned (M)" } else { ", follows the pointer (M pins)" }
                ));
            });
    }
    actions
}

/// Dragging with the left button on the image moves the wipe; hovering moves the magnifier.
fn image_gestures(ctx: &egui::Context, settings: &mut Settings, info: &UiInfo<'_>) {
    let over_ui = ctx.is_pointer_over_egui() || ctx.egui_is_using_pointer();
    let (pos, down) = ctx.input(|i| (i.pointer.hover_pos(), i.pointer.primary_down()));
    let Some(pos) = pos else { return };
    let px = [pos.x * info.display_per_point.x, pos.y * info.display_per_point.y];
    if !over_ui && down && settings.compare.is_some() && settings.compare_mode == CompareMode::Wipe {
        settings.wipe = (px[0] / info.display[0].max(1) as f32).clamp(0.0, 1.0);
    }
    if !over_ui && !settings.magnifier.pinned {
        settings.magnifier.centre = px;
    }
    if settings.magnifier.enabled && settings.show_ui {
        // Outline the magnified region on the image.
        let half = 128.0 / settings.magnifier.zoom as f32;
        let c = settings.magnifier.centre;
        let to_points = |x: f32, y: f32| Pos2::new(x / info.display_per_point.x, y / info.display_per_point.y);
        let rect = Rect::from_min_max(to_points(c[0] - half, c[1] - half), to_points(c[0] + half, c[1] + half));
        ctx.layer_painter(egui::LayerId::background()).rect_stroke(
            rect,
            0.0,
            Stroke::new(1.0, Color32::YELLOW),
            egui::StrokeKind::Outside,
        );
    }
}

fn controls(
    ui: &mut egui::Ui,
    settings: &mut Settings,
    camera: &mut CameraRig,
    info: &UiInfo<'_>,
    actions: &mut Vec<UiAction>,
) {
    egui::Grid::new("controls").num_columns(2).spacing([8.0, 4.0]).show(ui, |ui| {
        if !info.scenes.is_empty() {
            ui.label("scene");
            let mut scene = info.scene.to_string();
            egui::ComboBox::from_id_salt("scene").selected_text(&scene).show_ui(ui, |ui| {
                for s in info.scenes {
                    ui.selectable_value(&mut scene, s.to_string(), *s);
                }
            });
            if scene != info.scene {
                actions.push(UiAction::Scene(scene));
            }
            ui.end_row();
        }

        ui.label("method");
        method_combo(ui, "method", &mut settings.method);
        ui.end_row();

        ui.label("precision");
        ui.add_enabled_ui(settings.method == Method::NEURAL, |ui| {
            egui::ComboBox::from_id_salt("precision").selected_text(settings.precision.name()).show_ui(ui, |ui| {
                for p in Precision::all() {
                    let note = match p {
                        Precision::Auto => None,
                        Precision::Fixed(r) => rungs::availability(r, info.caps).err(),
                    };
                    let label = match note {
                        Some(_) => format!("{} (→ taau)", p.name()),
                        None => p.name().to_string(),
                    };
                    let r = ui.selectable_value(&mut settings.precision, p, label);
                    if let Some(why) = note {
                        r.on_hover_text(format!("unavailable: {why}; the frame falls back to taau"));
                    }
                }
            })
        })
        .response
        .on_disabled_hover_text("precision applies to the neural method");
        ui.end_row();

        ui.label("target fps");
        ui.add(egui::Slider::new(&mut settings.target_fps, 10.0..=240.0).logarithmic(true).suffix(" fps"));
        ui.end_row();

        ui.label("quality");
        let selected = settings.mode.map_or("custom", |m| m.name());
        egui::ComboBox::from_id_salt("mode").selected_text(selected).show_ui(ui, |ui| {
            for m in QualityMode::ALL {
                if ui.selectable_label(settings.mode == Some(m), m.name()).clicked() {
                    settings.mode = Some(m);
                    settings.ratio = m.ratio();
                }
            }
        });
        ui.end_row();

        ui.label("ratio");
        let before = settings.ratio;
        ui.add(egui::Slider::new(&mut settings.ratio, 1.0..=4.0).step_by(0.05).suffix("×"));
        if settings.ratio != before {
            settings.mode = QualityMode::ALL.into_iter().find(|m| m.ratio() == settings.ratio);
        }
        ui.end_row();

        ui.label("");
        ui.checkbox(&mut settings.dynamic_resolution, "dynamic resolution");
        ui.end_row();

        // What the neural controller trades under load: its rung, the render size, or both.
        ui.label("adapt");
        ui.add_enabled_ui(settings.method == Method::NEURAL && settings.precision == Precision::Auto, |ui| {
            egui::ComboBox::from_id_salt("adapt").selected_text(settings.adapt.name()).show_ui(ui, |ui| {
                for a in quantsr::Adapt::ALL {
                    ui.selectable_value(&mut settings.adapt, a, a.name());
                }
            });
        })
        .response
        .on_disabled_hover_text("the neural method with automatic precision adapts");
        ui.end_row();

        ui.label("sharpness");
        ui.add_enabled(settings.method.is_temporal(), egui::Slider::new(&mut settings.sharpness, 0.0..=1.0));
        ui.end_row();

        ui.label("load");
        ui.horizontal(|ui| {
            let kind = LoadKind::of(settings.load.as_ref());
            let mut new_kind = kind;
            let mut peak = settings.load.as_ref().map_or(4.0, load_peak_ms);
            egui::ComboBox::from_id_salt("load").width(70.0).selected_text(kind.name()).show_ui(ui, |ui| {
                for k in LoadKind::CHOICES {
                    ui.selectable_value(&mut new_kind, k, k.name());
                }
            });
            let editable = !matches!(kind, LoadKind::Off | LoadKind::Trace);
            let changed = ui
                .add_enabled(editable, egui::DragValue::new(&mut peak).range(0.0..=100.0).speed(0.1).suffix(" ms"))
                .changed();
            if new_kind != kind || changed {
                settings.load = new_kind.profile(peak, settings.load.as_ref());
            }
        });
        ui.end_row();

        ui.label("debug view");
        let name = DEBUG_VIEWS.iter().find(|(v, _)| *v == settings.debug_view).map_or("none", |(_, n)| n);
        ui.add_enabled_ui(settings.method.is_temporal(), |ui| {
            egui::ComboBox::from_id_salt("debug").selected_text(name).show_ui(ui, |ui| {
                for (v, n) in DEBUG_VIEWS {
                    ui.selectable_value(&mut settings.debug_view, v, n);
                }
            });
        });
        ui.end_row();

        ui.label("compare");
        ui.horizontal(|ui| {
            let text = settings.compare.map_or("off", |m| m.name());
            egui::ComboBox::from_id_salt("compare").width(70.0).selected_text(text).show_ui(ui, |ui| {
                ui.selectable_value(&mut settings.compare, None, "off");
                for m in METHODS {
                    if m != settings.method {
                        ui.selectable_value(&mut settings.compare, Some(m), m.name());
                    }
                }
            });
            ui.add_enabled_ui(settings.compare.is_some(), |ui| {
                egui::ComboBox::from_id_salt("compare mode")
                    .width(90.0)
                    .selected_text(settings.compare_mode.name())
                    .show_ui(ui, |ui| {
                        for m in CompareMode::ALL {
                            ui.selectable_value(&mut settings.compare_mode, m, m.name());
                        }
                    });
            });
        });
        ui.end_row();
        if settings.compare.is_some() && settings.compare_mode == CompareMode::Wipe {
            ui.label("wipe");
            ui.add(egui::Slider::new(&mut settings.wipe, 0.0..=1.0).show_value(false));
            ui.end_row();
        }

        ui.label("magnifier");
        ui.horizontal(|ui| {
            ui.checkbox(&mut settings.magnifier.enabled, "");
            ui.add_enabled_ui(settings.magnifier.enabled, |ui| {
                for z in [2, 4, 8] {
                    ui.selectable_value(&mut settings.magnifier.zoom, z, format!("×{z}"));
                }
                ui.checkbox(&mut settings.magnifier.pinned, "pin");
            });
        });
        ui.end_row();

        ui.label("camera");
        ui.horizontal(|ui| {
            let mut mode = camera.mode;
            ui.selectable_value(&mut mode, CameraMode::Path, "path");
            ui.selectable_value(&mut mode, CameraMode::Fly, "fly");
            if mode != camera.mode {
                camera.set_mode(mode);
            }
            ui.checkbox(&mut camera.paused, "pause");
            if ui.add_enabled(camera.paused, egui::Button::new("step")).clicked() {
                camera.step();
            }
        });
        ui.end_row();
    });
    ui.horizontal(|ui| {
        ui.small(format!("t = {:.2} / {:.1} s", camera.time(), camera.duration()));
        if ui.small_button("screenshot").clicked() {
            actions.push(UiAction::Screenshot);
        }
    });
    ui.small("WASD/QE fly, right-drag look, Space pause, . step, P path, Tab hide, F12 screenshot");
}

fn method_combo(ui: &mut egui::Ui, id: &str, method: &mut Method) {
    egui::ComboBox::from_id_salt(id).selected_text(method.name()).show_ui(ui, |ui| {
        for m in METHODS {
            ui.selectable_value(method, m, m.name());
        }
    });
}

fn hud(ctx: &egui::Context, settings: &Settings, info: &UiInfo<'_>) {
    let area = egui::Area::new(egui::Id::unique("hud")).anchor(Align2::LEFT_TOP, vec2(8.0, 8.0)).interactable(false);
    area.show(ctx, |ui| {
        egui::Frame::popup(ui.style()).show(ui, |ui| {
            ui.set_width(HUD_WIDTH);
            ui.strong(info.adapter);
            let h = info.history;
            let [dw, dh] = info.display;
            let [rw, rh] = info.render;
            let mode = settings.mode.map_or_else(|| format!("{:.2}×", settings.ratio), |m| m.name().to_string());
            ui.label(format!("{dw}×{dh} from {rw}×{rh} ({mode})"));
            let rung = match h.samples().back().map(|s| (s.method, s.rung)) {
                Some((m, _)) if !m.is_temporal() => format!("{m}: spatial, no rung"),
                Some((m, rung)) => {
                    let asked = match (m, settings.precision) {
                        (Method::NEURAL, Precision::Fixed(r)) if Some(r) != rung => format!(" (asked {r})"),
                        (Method::NEURAL, Precision::Auto) => format!(" (auto, adapts {})", settings.adapt),
                        _ => String::new(),
                    };
                    format!("{m}: rung {}{asked}", rung.map_or("…", |r| r.name()))
                }
                None => String::new(),
            };
            let fps = h.mean_host_ms(30).map_or("…".into(), |ms| format!("{:.1} fps, {ms:.1} ms", 1000.0 / ms));
            ui.label(format!("{fps}   {rung}"));
            frame_time_graph(ui, h, settings.budget_ms());
            rung_strip(ui, h);
            let gpu = match (info.has_timings, h.pass_ms()) {
                (false, _) => "no timestamp queries on this device".to_string(),
                (true, _) if !settings.method.is_temporal() => "spatial methods are not timed".to_string(),
                (true, []) => "waiting for timings".to_string(),
                (true, pass) => {
                    let parts: Vec<String> =
                        PASS_NAMES.iter().zip(pass).map(|(n, ms)| format!("{n} {ms:.1}")).collect();
                    format!("{} = {:.1}", parts.join(" "), pass.iter().sum::<f64>())
                }
            };
            ui.small(format!("GPU ms: {gpu}"));
        });
    });
}

/// Names the two halves of a comparison at the bottom of the image.
fn compare_labels(ctx: &egui::Context, settings: &Settings, info: &UiInfo<'_>) {
    let Some(other) = settings.compare else { return };
    let screen = ctx.content_rect();
    let y = screen.bottom() - 8.0;
    let (left_x, right_x) = match settings.compare_mode {
        CompareMode::SideBySide => (screen.center().x - 8.0, screen.center().x + 8.0),
        CompareMode::Wipe => {
            let x = settings.wipe * info.display[0] as f32 / info.display_per_point.x;
            (x - 8.0, x + 8.0)
        }
    };
    let painter = ctx.layer_painter(egui::LayerId::background());
    let font = egui::FontId::proportional(14.0);
    for (text, x, align) in
        [(settings.method.name(), left_x, Align2::RIGHT_BOTTOM), (other.name(), right_x, Align2::LEFT_BOTTOM)]
    {
        let galley = painter.layout_no_wrap(text.to_string(), font.clone(), Color32::WHITE);
        let rect = align.anchor_size(Pos2::new(x, y), galley.size());
        painter.rect_filled(rect.expand(3.0), 3.0, Color32::from_black_alpha(160));
        painter.galley(rect.min, galley, Color32::WHITE);
    }
}

/// Host frame time (white) and the upscaler's GPU time (blue) over the last frames, against
/// the target frame time (red line) and the upscaler's budget (dashed).
fn frame_time_graph(ui: &mut egui::Ui, history: &History, target_ms: f64) {
    let (response, painter) = ui.allocate_painter(vec2(HUD_WIDTH, 64.0), Sense::hover());
    let rect = response.rect;
    painter.rect_filled(rect, 2.0, Color32::from_black_alpha(140));
    let samples = history.samples();
    let max_ms = samples.iter().filter_map(|s| s.host_ms).fold(target_ms * 1.5, f64::max).min(1000.0);
    let y = |ms: f64| rect.bottom() - (ms / max_ms).clamp(0.0, 1.0) as f32 * rect.height();
    let n = crate::telemetry::HISTORY_FRAMES as f32;
    let x = |i: usize| rect.left() + i as f32 / n * rect.width();
    let line = |get: &dyn Fn(&crate::telemetry::FrameSample) -> Option<f64>, color: Color32| {
        let points: Vec<Pos2> =
            samples.iter().enumerate().filter_map(|(i, s)| get(s).map(|ms| Pos2::new(x(i), y(ms)))).collect();
        if points.len() > 1 {
            painter.add(egui::Shape::line(points, Stroke::new(1.0, color)));
        }
    };
    line(&|s| s.upscaler_ms, Color32::from_rgb(80, 160, 255));
    line(&|s| s.host_ms, Color32::WHITE);
    if let Some(b) = samples.iter().rev().find_map(|s| s.budget_ms).filter(|b| *b > 0.0) {
        painter.add(egui::Shape::dashed_line(
            &[Pos2::new(rect.left(), y(b)), Pos2::new(rect.right(), y(b))],
            Stroke::new(1.0, Color32::from_rgb(80, 160, 255)),
            4.0,
            4.0,
        ));
    }
    painter.line_segment(
        [Pos2::new(rect.left(), y(target_ms)), Pos2::new(rect.right(), y(target_ms))],
        Stroke::new(1.0, Color32::from_rgb(255, 80, 80)),
    );
    painter.text(
        rect.left_top() + vec2(3.0, 1.0),
        Align2::LEFT_TOP,
        format!("frame ms (max {max_ms:.0}), budget {target_ms:.1} ms"),
        egui::FontId::proportional(10.0),
        Color32::LIGHT_GRAY,
    );
}

/// One thin bar per frame coloured by the rung it ran (grey: spatial method).
fn rung_strip(ui: &mut egui::Ui, history: &History) {
    let (response, painter) = ui.allocate_painter(vec2(HUD_WIDTH, 10.0), Sense::hover());
    let rect = response.rect;
    let n = crate::telemetry::HISTORY_FRAMES as f32;
    let w = rect.width() / n;
    for (i, s) in history.samples().iter().enumerate() {
        let x0 = rect.left() + i as f32 * w;
        let color = if s.method.is_temporal() && s.rung.is_none() { Color32::DARK_GRAY } else { rung_color(s.rung) };
        painter.rect_filled(
            Rect::from_min_size(Pos2::new(x0, rect.top()), vec2(w.max(1.0), rect.height())),
            0.0,
            color,
        );
    }
    ui.horizontal(|ui| {
        ui.spacing_mut().item_spacing.x = 6.0;
        for r in Rung::ALL {
            ui.colored_label(rung_color(Some(r)), egui::RichText::new(r.name()).small());
        }
        ui.colored_label(rung_color(None), egui::RichText::new("spatial").small());
    });
}
