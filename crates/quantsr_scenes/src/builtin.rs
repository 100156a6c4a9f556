//! The built-in scenes, each aimed at a known upscaler failure mode (ARCHITECTURE.md §6,
//! `quantsr render --list`). Geometry is procedural; materials use real photographs embedded
//! from `assets/textures/` (see its LICENSES.md) and procedural patterns where the failure
//! mode needs one (text, checkerboards, grates).

use glam::{Affine2, Mat4, Quat, Vec2, Vec3, Vec4};

use crate::texture::{self, TextureImage, hash2};
use crate::{AlphaMode, CameraPath, Keyframe, Material, Mesh, Object, Scene, SceneError};

mod yard;

/// Name and one-line description of every built-in scene, in `--list` order.
pub const BUILTIN_SCENES: [(&str, &str); 9] = [
    ("interior", "textured room under a camera dolly: fine texture detail and mip bias"),
    ("thin", "fences, wires, a grate and alpha-tested foliage: sub-pixel features and ghosting"),
    ("fast_objects", "objects crossing a detailed background fast: disocclusion and trails"),
    ("highlights", "small emissive dots and sharp specular glints under slow motion: shimmer and fireflies"),
    ("patterns", "text, checkerboards and line patterns under a slow sub-pixel pan: aliasing and moire"),
    ("cut_rotation", "a camera cut and then a fast rotation: reset and history rejection"),
    ("particles", "alpha-blended smoke with the reactive mask and a scrolling screen the motion vectors miss"),
    ("level", "a mixed game level combining all of the above"),
    ("yard", "the building blocks above placed at random: --seed picks the layout (training variety)"),
];

/// Builds the built-in scene `name` as authored (`yard` in layout 0).
pub fn builtin_scene(name: &str) -> Result<Scene, SceneError> {
    builtin_scene_seeded(name, 0)
}

/// Builds the built-in scene `name`; `seed` picks `yard`'s layout, the hand-authored scenes
/// ignore it (`quantsr render --seed` perturbs their camera instead).
pub fn builtin_scene_seeded(name: &str, seed: u64) -> Result<Scene, SceneError> {
    Ok(match name {
        "interior" => interior(),
        "thin" => thin(),
        "fast_objects" => fast_objects(),
        "highlights" => highlights(),
        "patterns" => patterns(),
        "cut_rotation" => cut_rotation(),
        "particles" => particles(),
        "level" => level(),
        "yard" => yard::yard(seed),
        _ => {
            let known = BUILTIN_SCENES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
            return Err(SceneError::UnknownScene { name: name.into(), known });
        }
    })
}

fn photo(bytes: &[u8]) -> TextureImage {
    TextureImage::decode(bytes, true).expect("embedded texture decodes")
}

/// The embedded photographs, decoded once per scene build.
struct Photos;
impl Photos {
    fn brick() -> TextureImage {
        photo(include_bytes!("../../../assets/textures/brick.jpg"))
    }
    fn gravel() -> TextureImage {
        photo(include_bytes!("../../../assets/textures/gravel.jpg"))
    }
    fn dandelion() -> TextureImage {
        photo(include_bytes!("../../../assets/textures/dandelion.jpg"))
    }
    fn grass() -> TextureImage {
        photo(include_bytes!("../../../assets/textures/grass.jpg"))
    }
    fn rock() -> TextureImage {
        photo(include_bytes!("../../../assets/textures/rock.jpg"))
    }
    fn leaves() -> TextureImage {
        photo(include_bytes!("../../../assets/textures/leaves.png"))
    }
    fn wood() -> TextureImage {
        photo(include_bytes!("../../../assets/textures/wood.jpg"))
    }
    fn cork() -> TextureImage {
        photo(include_bytes!("../../../assets/textures/cork.jpg"))
    }
    fn brushes() -> TextureImage {
        photo(include_bytes!("../../../assets/textures/brushes.jpg"))
    }
}

/// Scene-building shorthands.
impl Scene {
    fn textured(&mut self, image: TextureImage, normal: Option<usize>) -> usize {
        let t = self.add_texture(image);
        self.add_material(Material { base_color_texture: Some(t), normal_texture: normal, ..Default::default() })
    }

    fn solid(&mut self, color: Vec3, specular: f32, shininess: f32) -> usize {
        self.add_material(Material { base_color: color.extend(1.0), specular, shininess, ..Default::default() })
    }

    fn emissive(&mut self, color: Vec3) -> usize {
        self.add_material(Material {
            base_color: Vec4::new(0.0, 0.0, 0.0, 1.0),
            emissive: color,
            specular: 0.0,
            ..Default::default()
        })
    }

    fn place(&mut self, mesh: Mesh, material: usize, transform: Mat4) {
        let m = self.add_mesh(mesh);
        self.add(Object::fixed(m, material, transform));
    }

    fn bump(&mut self, cells: u32, strength: f32, seed: u32) -> usize {
        self.add_texture(texture::bump_normal_map(256, cells, strength, seed))
    }
}

fn keys(points: &[(f32, [f32; 3], [f32; 3])]) -> CameraPath {
    CameraPath {
        fov_y: 1.0,
        keyframes: points.iter().map(|&(t, position, target)| Keyframe { t, position, target, cut: false }).collect(),
    }
}

fn at(p: Vec3) -> Mat4 {
    Mat4::from_translation(p)
}

/// A room: floor, ceiling and four walls as thin boxes, textured inside.
fn room(s: &mut Scene, size: Vec3, floor: usize, wall: usize, ceiling: usize) {
    let t = 0.2;
    s.place(Mesh::cuboid(Vec3::new(size.x, t, size.z), 0.5), floor, at(Vec3::new(0.0, -t / 2.0, 0.0)));
    s.place(Mesh::cuboid(Vec3::new(size.x, t, size.z), 0.5), ceiling, at(Vec3::new(0.0, size.y + t / 2.0, 0.0)));
    for (pos, dims) in [
        (Vec3::new(0.0, size.y / 2.0, -size.z / 2.0), Vec3::new(size.x, size.y, t)),
        (Vec3::new(0.0, size.y / 2.0, size.z / 2.0), Vec3::new(size.x, size.y, t)),
        (Vec3::new(-size.x / 2.0, size.y / 2.0, 0.0), Vec3::new(t, size.y, size.z)),
        (Vec3::new(size.x / 2.0, size.y / 2.0, 0.0), Vec3::new(t, size.y, size.z)),
    ] {
        s.place(Mesh::cuboid(dims, 0.45), wall, at(pos));
    }
}

fn interior() -> Scene {
    let mut s = Scene::new(
        "interior",
        BUILTIN_SCENES[0].1,
        keys(&[
            (0.0, [-1.5, 1.6, 6.5], [0.5, 1.3, -4.0]),
            (1.0, [-1.0, 1.65, 4.5], [0.7, 1.3, -5.0]),
            (2.0, [-0.4, 1.7, 2.5], [1.0, 1.25, -6.0]),
        ]),
    );
    let bump = s.bump(24, 3.0, 11);
    let floor = s.textured(Photos::wood(), None);
    let wall = s.textured(Photos::brick(), Some(bump));
    let ceiling = s.textured(Photos::cork(), None);
    room(&mut s, Vec3::new(8.0, 3.5, 16.0), floor, wall, ceiling);
    // Pictures on the walls: photographs with fine detail.
    for (i, img) in [Photos::dandelion(), Photos::grass(), Photos::rock(), Photos::brushes()].into_iter().enumerate() {
        let m = s.textured(img, None);
        let z = 3.0 - i as f32 * 3.5;
        let (x, yaw) =
            if i % 2 == 0 { (-3.88, std::f32::consts::FRAC_PI_2) } else { (3.88, -std::f32::consts::FRAC_PI_2) };
        s.place(
            Mesh::quad(Vec2::new(1.6, 1.6), Vec2::ONE),
            m,
            Mat4::from_rotation_translation(Quat::from_rotation_y(yaw), Vec3::new(x, 1.7, z)),
        );
    }
    let crate_mat = s.textured(Photos::wood(), None);
    for i in 0..5 {
        let size = 0.5 + 0.3 * hash2(i, 1, 3);
        let p = Vec3::new(-2.5 + 5.0 * hash2(i, 2, 3), size / 2.0, 2.0 - 9.0 * hash2(i, 3, 3));
        s.place(
            Mesh::cuboid(Vec3::splat(size), 1.0),
            crate_mat,
            Mat4::from_rotation_translation(Quat::from_rotation_y(hash2(i, 4, 3) * 3.0), p),
        );
    }
    let lamp = s.emissive(Vec3::new(6.0, 5.5, 4.5));
    for z in [-5.0, 0.0, 5.0] {
        s.place(Mesh::cuboid(Vec3::new(1.2, 0.05, 0.3), 1.0), lamp, at(Vec3::new(0.0, 3.47, z)));
    }
    s.lighting.direction = Vec3::new(0.3, 1.0, 0.5);
    s.lighting.color = Vec3::splat(1.4);
    s.lighting.ambient = Vec3::new(0.3, 0.28, 0.26);
    s
}

fn fence(s: &mut Scene, material: usize, origin: Vec3, length: f32, posts: u32) {
    let post = Mesh::cuboid(Vec3::new(0.035, 1.2, 0.035), 2.0);
    let mut merged = Mesh::default();
    for i in 0..posts {
        let x = origin.x + length * i as f32 / (posts - 1) as f32;
        merged.append(&post, at(Vec3::new(x, origin.y + 0.6, origin.z)));
    }
    for h in [0.25, 0.7, 1.1] {
        merged.append(
            &Mesh::cuboid(Vec3::new(length, 0.03, 0.02), 2.0),
            at(Vec3::new(origin.x + length / 2.0, origin.y + h, origin.z)),
        );
    }
    s.place(merged, material, Mat4::IDENTITY);
}

fn thin() -> Scene {
    let mut s = Scene::new(
        "thin",
        BUILTIN_SCENES[1].1,
        keys(&[(0.0, [-1.2, 1.5, 5.0], [-0.6, 1.2, 0.0]), (2.0, [0.2, 1.55, 4.8], [0.8, 1.2, -0.2])]),
    );
    let grass = s.textured(Photos::grass(), None);
    s.place(Mesh::cuboid(Vec3::new(40.0, 0.1, 40.0), 0.25), grass, at(Vec3::new(0.0, -0.05, 0.0)));
    let wood = s.textured(Photos::wood(), None);
    fence(&mut s, wood, Vec3::new(-4.0, 0.0, 1.5), 8.0, 33);
    fence(&mut s, wood, Vec3::new(-6.0, 0.0, -2.0), 12.0, 49);
    // Power lines: thin cylinders against the sky.
    let wire = s.solid(Vec3::splat(0.05), 0.3, 64.0);
    for (i, h) in [2.6, 2.8, 3.0, 3.25].iter().enumerate() {
        let c = Mesh::cylinder(0.006 + 0.002 * i as f32, 20.0, 6);
        s.place(
            c,
            wire,
            Mat4::from_rotation_translation(
                Quat::from_rotation_z(-std::f32::consts::FRAC_PI_2 + 0.03 * i as f32),
                Vec3::new(-10.0, *h, -1.0 - 0.4 * i as f32),
            ),
        );
    }
    // A metal grate (alpha-tested holes) and a chain-link panel.
    let grate_tex = s.add_texture(texture::grate(256, 16, 0.18));
    let grate = s.add_material(Material {
        base_color_texture: Some(grate_tex),
        alpha_mode: AlphaMode::Mask(0.5),
        specular: 0.4,
        shininess: 48.0,
        ..Default::default()
    });
    s.place(Mesh::quad(Vec2::new(2.0, 1.4), Vec2::new(2.0, 1.4)), grate, at(Vec3::new(1.8, 0.9, 2.2)));
    // Foliage: alpha-tested leaf cards around trunks.
    let leaves_tex = s.add_texture(Photos::leaves());
    let leaves = s.add_material(Material {
        base_color_texture: Some(leaves_tex),
        alpha_mode: AlphaMode::Mask(0.5),
        ..Default::default()
    });
    let trunk = s.textured(Photos::rock(), None);
    for k in 0..3 {
        let base = Vec3::new(-3.0 + 3.0 * k as f32, 0.0, -0.5 - 0.8 * k as f32);
        s.place(Mesh::cylinder(0.08, 2.2, 10), trunk, at(base));
        let mut cards = Mesh::default();
        for c in 0..14 {
            let (h1, h2) = (hash2(k, c, 5), hash2(c, k, 6));
            let p = base + Vec3::new((h1 - 0.5) * 1.4, 1.5 + h2 * 1.2, (h2 - 0.5) * 1.4);
            cards.append(
                &Mesh::quad(Vec2::splat(0.9), Vec2::ONE),
                Mat4::from_rotation_translation(Quat::from_rotation_y(h1 * 6.0) * Quat::from_rotation_x(h2 - 0.5), p),
            );
        }
        s.place(cards, leaves, Mat4::IDENTITY);
    }
    s
}

fn fast_objects() -> Scene {
    let mut s = Scene::new(
        "fast_objects",
        BUILTIN_SCENES[2].1,
        keys(&[(0.0, [0.0, 1.6, 6.0], [0.0, 1.2, 0.0]), (2.0, [0.4, 1.6, 5.9], [0.1, 1.2, 0.0])]),
    );
    let bump = s.bump(24, 3.0, 21);
    let wall = s.textured(Photos::brick(), Some(bump));
    s.place(Mesh::cuboid(Vec3::new(16.0, 6.0, 0.2), 0.45), wall, at(Vec3::new(0.0, 3.0, -2.0)));
    let floor = s.textured(Photos::gravel(), None);
    s.place(Mesh::cuboid(Vec3::new(16.0, 0.1, 12.0), 0.5), floor, at(Vec3::new(0.0, -0.05, 2.0)));
    let mats = [
        s.textured(Photos::wood(), None),
        s.solid(Vec3::new(0.7, 0.1, 0.08), 0.5, 80.0),
        s.textured(Photos::dandelion(), None),
        s.solid(Vec3::new(0.1, 0.3, 0.8), 0.3, 40.0),
    ];
    for i in 0..4 {
        let speed = [7.0, -9.0, 5.5, -12.0][i];
        let (y, z) = ([0.5, 1.4, 2.4, 0.8][i], [0.5, -0.5, 0.0, 1.5][i]);
        let mesh = if i % 2 == 0 {
            s.add_mesh(Mesh::cuboid(Vec3::splat(0.7), 1.0))
        } else {
            s.add_mesh(Mesh::sphere(0.4, 16, 24))
        };
        s.add(Object::animated(mesh, mats[i], move |t| {
            // Wrap around a 12 m track so the objects keep crossing the view.
            let x = (speed * t + 3.0 * i as f32 + 6.0).rem_euclid(12.0) - 6.0;
            Mat4::from_rotation_translation(
                Quat::from_rotation_y(t * speed * 0.4) * Quat::from_rotation_x(t * 1.3),
                Vec3::new(x, y, z),
            )
        }));
    }
    s
}

fn highlights() -> Scene {
    let mut s = Scene::new(
        "highlights",
        BUILTIN_SCENES[3].1,
        keys(&[(0.0, [-1.0, 1.4, 5.5], [0.0, 1.0, 0.0]), (2.0, [-0.6, 1.45, 5.4], [0.1, 1.0, 0.0])]),
    );
    s.lighting.ambient = Vec3::splat(0.03);
    s.lighting.color = Vec3::splat(1.6);
    s.lighting.sky = Vec3::new(0.01, 0.012, 0.02);
    let floor = s.textured(Photos::rock(), None);
    s.place(Mesh::cuboid(Vec3::new(20.0, 0.1, 20.0), 0.4), floor, at(Vec3::new(0.0, -0.05, 0.0)));
    let mut dots = Mesh::default();
    let dot = Mesh::sphere(0.012, 4, 6);
    for i in 0..400 {
        let p = Vec3::new(hash2(i, 1, 9) * 8.0 - 4.0, hash2(i, 2, 9) * 3.0 + 0.1, hash2(i, 3, 9) * 6.0 - 4.0);
        dots.append(&dot, at(p));
    }
    let glow = s.emissive(Vec3::new(40.0, 30.0, 18.0));
    s.place(dots, glow, Mat4::IDENTITY);
    let chrome = s.solid(Vec3::splat(0.05), 6.0, 900.0);
    for i in 0..12 {
        let p = Vec3::new(hash2(i, 4, 9) * 6.0 - 3.0, 0.3, hash2(i, 5, 9) * 4.0 - 3.0);
        s.place(Mesh::sphere(0.3, 24, 32), chrome, at(p));
    }
    // A slowly turning ribbed object whose thin ridges catch the light.
    let ribs = s.solid(Vec3::splat(0.1), 3.0, 400.0);
    let m = s.add_mesh(Mesh::cylinder(0.25, 1.5, 48));
    s.add(Object::animated(m, ribs, |t| {
        Mat4::from_rotation_translation(Quat::from_rotation_y(0.3 * t), Vec3::new(1.5, 0.0, -1.0))
    }));
    s
}

fn patterns() -> Scene {
    let mut s = Scene::new(
        "patterns",
        BUILTIN_SCENES[4].1,
        keys(&[(0.0, [0.0, 1.5, 4.0], [0.0, 1.2, -2.0]), (2.0, [0.15, 1.52, 4.0], [0.15, 1.22, -2.0])]),
    );
    let text = s.add_texture(texture::text(
        512,
        256,
        &[
            "QUANTSR TEMPORAL UPSCALER",
            "THE QUICK BROWN FOX JUMPS",
            "OVER THE LAZY DOG 0123456789",
            "FINE PRINT: 1.5X 1.7X 2X 3X",
            "SHARP TEXT MUST STAY STABLE",
            "NO SHIMMER, NO GHOSTS, NO BLUR",
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        ],
        3,
        true,
    ));
    let sign = s.add_material(Material { base_color_texture: Some(text), ..Default::default() });
    s.place(Mesh::quad(Vec2::new(3.2, 1.6), Vec2::ONE), sign, at(Vec3::new(-0.6, 1.6, -2.0)));
    let checker = s.add_texture(texture::checkerboard(512, 16));
    let floor = s.add_material(Material { base_color_texture: Some(checker), ..Default::default() });
    s.place(Mesh::cuboid(Vec3::new(30.0, 0.1, 40.0), 0.25), floor, at(Vec3::new(0.0, -0.05, -10.0)));
    let lines = s.add_texture(texture::line_pattern(512));
    let panel = s.add_material(Material { base_color_texture: Some(lines), ..Default::default() });
    s.place(
        Mesh::quad(Vec2::new(1.8, 1.8), Vec2::ONE),
        panel,
        Mat4::from_rotation_translation(Quat::from_rotation_y(-0.5), Vec3::new(2.0, 1.4, -1.5)),
    );
    let small_text =
        s.add_texture(texture::text(256, 128, &["SMALL PRINT 42", "READ ME IF YOU CAN", "9876543210"], 2, false));
    let sign2 = s.add_material(Material { base_color_texture: Some(small_text), ..Default::default() });
    s.place(
        Mesh::quad(Vec2::new(1.2, 0.6), Vec2::ONE),
        sign2,
        Mat4::from_rotation_translation(Quat::from_rotation_y(0.6), Vec3::new(-2.6, 0.9, -0.8)),
    );
    s
}

fn cut_rotation() -> Scene {
    let mut path = keys(&[
        (0.0, [-2.0, 1.6, 5.0], [0.0, 1.2, 0.0]),
        (0.9, [-1.5, 1.6, 4.0], [0.0, 1.2, 0.0]),
        (1.0, [3.0, 2.0, -3.0], [-1.0, 1.0, 1.0]),
        (1.25, [3.0, 2.0, -3.0], [-2.0, 1.0, -4.0]),
        (1.5, [3.0, 2.0, -3.0], [4.0, 1.0, -8.0]),
        (1.75, [3.0, 2.0, -3.0], [8.0, 1.0, -2.0]),
        (2.0, [3.0, 2.0, -3.0], [6.0, 1.0, 2.0]),
    ]);
    path.keyframes[2].cut = true;
    let mut s = Scene::new("cut_rotation", BUILTIN_SCENES[5].1, path);
    let floor = s.textured(Photos::gravel(), None);
    s.place(Mesh::cuboid(Vec3::new(30.0, 0.1, 30.0), 0.5), floor, at(Vec3::new(0.0, -0.05, 0.0)));
    let bump = s.bump(24, 3.0, 31);
    let wall = s.textured(Photos::brick(), Some(bump));
    let wood = s.textured(Photos::wood(), None);
    let rock = s.textured(Photos::rock(), None);
    for i in 0..10 {
        let a = i as f32 / 10.0 * std::f32::consts::TAU;
        let p = Vec3::new(7.0 * a.cos(), 1.5, 7.0 * a.sin());
        s.place(
            Mesh::cuboid(Vec3::new(2.5, 3.0, 0.4), 0.45),
            [wall, wood, rock][i % 3],
            Mat4::from_rotation_translation(Quat::from_rotation_y(-a + std::f32::consts::FRAC_PI_2), p),
        );
    }
    let red = s.solid(Vec3::new(0.8, 0.15, 0.1), 0.4, 60.0);
    s.place(Mesh::sphere(0.8, 24, 32), red, at(Vec3::new(0.0, 0.8, 0.0)));
    s
}

fn smoke(s: &mut Scene, origin: Vec3, puffs: u32, seed: u32) {
    let tex = s.add_texture(texture::smoke_puff(128, seed));
    let mat = s.add_material(Material {
        base_color_texture: Some(tex),
        base_color: Vec4::new(1.0, 1.0, 1.0, 0.7),
        alpha_mode: AlphaMode::Blend,
        reactive: 1.0,
        specular: 0.0,
        ..Default::default()
    });
    let quad = s.add_mesh(Mesh::quad(Vec2::splat(1.0), Vec2::ONE));
    for i in 0..puffs {
        let (h1, h2, h3) = (hash2(i as i32, 1, seed), hash2(i as i32, 2, seed), hash2(i as i32, 3, seed));
        s.add(Object::animated(quad, mat, move |t| {
            // Each puff rises through a 3 s cycle, drifting and growing.
            let phase = (t / 3.0 + h1).fract();
            let p = origin + Vec3::new((h2 - 0.5) * 0.8 + phase * 0.6, phase * 3.0, (h3 - 0.5) * 0.8);
            let scale = 0.5 + phase * 1.5;
            Mat4::from_scale_rotation_translation(Vec3::splat(scale), Quat::from_rotation_z(h3 * 6.0 + t * 0.3), p)
        }));
    }
}

fn particles() -> Scene {
    let mut s = Scene::new(
        "particles",
        BUILTIN_SCENES[6].1,
        keys(&[(0.0, [-0.5, 1.6, 6.0], [0.0, 1.4, 0.0]), (2.0, [0.3, 1.65, 5.8], [0.1, 1.4, 0.0])]),
    );
    let bump = s.bump(24, 3.0, 41);
    let wall = s.textured(Photos::brick(), Some(bump));
    s.place(Mesh::cuboid(Vec3::new(14.0, 6.0, 0.2), 0.45), wall, at(Vec3::new(0.0, 3.0, -1.5)));
    let floor = s.textured(Photos::gravel(), None);
    s.place(Mesh::cuboid(Vec3::new(14.0, 0.1, 12.0), 0.5), floor, at(Vec3::new(0.0, -0.05, 2.0)));
    // A screen whose picture scrolls: its motion vectors are zero but its texels change.
    let scroll_tex = s.add_texture(texture::text(
        256,
        256,
        &["NEWS 24", "SCROLLING", "TICKER 0123", "STATIC MVS", "REACTIVE"],
        4,
        false,
    ));
    let screen = s.add_material(Material {
        base_color_texture: Some(scroll_tex),
        emissive_texture: Some(scroll_tex),
        emissive: Vec3::splat(1.5),
        uv_scroll: Vec2::new(0.0, 0.35),
        reactive: 1.0,
        ..Default::default()
    });
    s.place(Mesh::quad(Vec2::new(2.0, 1.2), Vec2::ONE), screen, at(Vec3::new(2.2, 1.8, -1.38)));
    smoke(&mut s, Vec3::new(-1.2, 0.0, 0.3), 24, 51);
    s
}

fn level() -> Scene {
    let mut path = keys(&[
        (0.0, [-5.0, 1.7, 7.0], [0.0, 1.3, 0.0]),
        (1.0, [-2.5, 1.7, 5.0], [1.0, 1.2, -1.0]),
        (2.0, [0.0, 1.75, 3.5], [2.5, 1.2, -3.0]),
        (3.0, [2.5, 1.8, 2.5], [4.0, 1.2, -4.0]),
    ]);
    path.fov_y = 1.1;
    let mut s = Scene::new("level", BUILTIN_SCENES[7].1, path);
    s.default_frames = 180;
    let grass = s.textured(Photos::grass(), None);
    s.place(Mesh::cuboid(Vec3::new(40.0, 0.1, 40.0), 0.3), grass, at(Vec3::new(0.0, -0.05, 0.0)));
    let bump = s.bump(24, 3.0, 61);
    let wall = s.textured(Photos::brick(), Some(bump));
    for (p, d) in [
        (Vec3::new(4.0, 1.75, -6.0), Vec3::new(10.0, 3.5, 0.3)),
        (Vec3::new(-1.0, 1.75, -3.5), Vec3::new(0.3, 3.5, 5.0)),
    ] {
        s.place(Mesh::cuboid(d, 0.45), wall, at(p));
    }
    let wood = s.textured(Photos::wood(), None);
    fence(&mut s, wood, Vec3::new(-6.0, 0.0, 2.0), 5.0, 21);
    let leaves_tex = s.add_texture(Photos::leaves());
    let leaves = s.add_material(Material {
        base_color_texture: Some(leaves_tex),
        alpha_mode: AlphaMode::Mask(0.5),
        ..Default::default()
    });
    let mut cards = Mesh::default();
    for c in 0..20 {
        let (h1, h2) = (hash2(c, 1, 71), hash2(c, 2, 71));
        cards.append(
            &Mesh::quad(Vec2::splat(1.0), Vec2::ONE),
            Mat4::from_rotation_translation(
                Quat::from_rotation_y(h1 * 6.0),
                Vec3::new(-4.0 + h1 * 2.0, 1.6 + h2 * 1.5, -1.0 + h2 * 1.5),
            ),
        );
    }
    s.place(cards, leaves, Mat4::IDENTITY);
    let text = s.add_texture(texture::text(256, 128, &["LEVEL 8", "EXIT ->", "MIND THE GAP"], 3, true));
    let sign = s.add_material(Material { base_color_texture: Some(text), ..Default::default() });
    s.place(Mesh::quad(Vec2::new(1.6, 0.8), Vec2::ONE), sign, at(Vec3::new(3.0, 2.0, -5.8)));
    let lamp = s.emissive(Vec3::new(30.0, 22.0, 12.0));
    let mut bulbs = Mesh::default();
    for i in 0..24 {
        bulbs.append(&Mesh::sphere(0.03, 4, 6), at(Vec3::new(-0.5 + 0.4 * i as f32, 3.3, -5.7)));
    }
    s.place(bulbs, lamp, Mat4::IDENTITY);
    let red = s.solid(Vec3::new(0.75, 0.12, 0.08), 0.6, 90.0);
    let ball = s.add_mesh(Mesh::sphere(0.35, 16, 24));
    s.add(Object::animated(ball, red, |t| {
        at(Vec3::new(-2.0 + (t * 4.0).rem_euclid(8.0), 0.35 + (t * 5.0).sin().abs(), 0.5))
    }));
    smoke(&mut s, Vec3::new(5.0, 0.0, -4.5), 14, 81);
    let grate_tex = s.add_texture(texture::grate(256, 12, 0.2));
    let grate = s.add_material(Material {
        base_color_texture: Some(grate_tex),
        alpha_mode: AlphaMode::Mask(0.5),
        uv_transform: Affine2::from_scale(Vec2::splat(2.0)),
        ..Default::default()
    });
    s.place(
        Mesh::quad(Vec2::new(2.0, 2.0), Vec2::ONE),
        grate,
        Mat4::from_rotation_translation(Quat::from_rotation_y(0.4), Vec3::new(1.0, 1.0, -2.0)),
    );
    s
}
