//! `yard`: the building blocks of the other scenes (photo-textured walls, foliage cards, fences,
//! grates, signs, lamps, moving objects, smoke) placed at random by a layout seed, under a random
//! camera move and light. Every seed is a different scene, which is what training needs: the
//! network learns the failure modes, not one layout. Checkerboards and line patterns are left to
//! `patterns`, so that scene stays unlike anything the network trains on.

use glam::{Affine2, Mat4, Quat, Vec2, Vec3};

use super::{BUILTIN_SCENES, Photos, at, fence, keys, smoke};
use crate::texture::{self, TextureImage, hash2};
use crate::{AlphaMode, Material, Mesh, Object, Scene};

/// Deterministic draws in [0, 1) from the layout seed; each call site passes its own salt.
struct Dice(u32);

impl Dice {
    fn unit(&self, salt: i32, k: i32) -> f32 {
        hash2(salt, k, self.0)
    }
    fn range(&self, salt: i32, k: i32, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit(salt, k)
    }
    fn count(&self, salt: i32, lo: u32, hi: u32) -> u32 {
        lo + ((hi - lo + 1) as f32 * self.unit(salt, 0)) as u32
    }
    /// A point on the ground within `radius` of the origin.
    fn ground(&self, salt: i32, k: i32, radius: f32) -> Vec3 {
        Vec3::new(self.range(salt, 2 * k, -radius, radius), 0.0, self.range(salt, 2 * k + 1, -radius, radius))
    }
}

fn photo(i: u32) -> TextureImage {
    match i % 7 {
        0 => Photos::brick(),
        1 => Photos::rock(),
        2 => Photos::wood(),
        3 => Photos::cork(),
        4 => Photos::gravel(),
        5 => Photos::dandelion(),
        _ => Photos::brushes(),
    }
}

const SIGN_WORDS: [&str; 8] =
    ["DEPOT 3", "NO ENTRY", "KEEP LEFT", "STORE 0718", "YARD B", "WAY OUT", "AREA 51", "LOT 42"];

/// The `yard` scene for layout `seed` (seed 0 is a layout like any other).
pub(super) fn yard(seed: u64) -> Scene {
    let d = Dice(seed as u32 ^ (seed >> 32) as u32 ^ 0x9e37_79b9);
    // Camera: starts 4–9 m from the middle, moves 0.5–3.5 m/s sideways and inwards, turning a little.
    let a = d.range(1, 0, 0.0, std::f32::consts::TAU);
    let dist = d.range(1, 1, 4.0, 9.0);
    let eye = Vec3::new(dist * a.cos(), d.range(1, 2, 0.8, 2.6), dist * a.sin());
    let look = Vec3::new(d.range(1, 3, -2.0, 2.0), d.range(1, 4, 0.5, 1.8), d.range(1, 5, -2.0, 2.0));
    let side = (look - eye).cross(Vec3::Y).normalize_or_zero();
    let speed = d.range(1, 6, 0.5, 3.5);
    let travel = (side * d.range(1, 7, -1.0, 1.0) + (look - eye).normalize_or_zero() * d.range(1, 8, 0.0, 0.6))
        .normalize_or_zero()
        * speed;
    let turn = Vec3::new(d.range(1, 9, -1.5, 1.5), d.range(1, 10, -0.3, 0.3), d.range(1, 11, -1.5, 1.5));
    let mut path = keys(&[
        (0.0, eye.to_array(), look.to_array()),
        (1.0, (eye + travel).to_array(), (look + turn).to_array()),
        (2.0, (eye + 2.0 * travel).to_array(), (look + 2.0 * turn).to_array()),
    ]);
    path.fov_y = d.range(1, 12, 0.8, 1.2);
    let mut s = Scene::new("yard", BUILTIN_SCENES[8].1, path);

    let dark = d.unit(2, 0) < 0.2;
    s.lighting.direction = Vec3::new(d.range(2, 1, -1.0, 1.0), d.range(2, 2, 0.3, 1.0), d.range(2, 3, -1.0, 1.0));
    s.lighting.color = Vec3::splat(if dark { 0.5 } else { d.range(2, 4, 0.9, 1.6) });
    s.lighting.ambient = Vec3::splat(if dark { 0.04 } else { d.range(2, 5, 0.15, 0.4) });
    if dark {
        s.lighting.sky = Vec3::new(0.01, 0.012, 0.025);
    } else {
        s.lighting.sky = Vec3::new(d.range(2, 6, 0.3, 0.7), d.range(2, 7, 0.45, 0.8), d.range(2, 8, 0.7, 1.0));
    }

    let ground_tex = match d.count(3, 0, 4) {
        0 => Photos::grass(),
        1 => Photos::gravel(),
        2 => Photos::rock(),
        3 => Photos::wood(),
        _ => Photos::cork(),
    };
    let ground = s.textured(ground_tex, None);
    s.place(Mesh::cuboid(Vec3::new(50.0, 0.1, 50.0), d.range(3, 1, 0.2, 0.6)), ground, at(Vec3::new(0.0, -0.05, 0.0)));

    // Walls: photo-textured slabs, some with a bump map.
    for i in 0..d.count(4, 2, 5) {
        let k = i as i32;
        let bump = (d.unit(5, k) < 0.5).then(|| s.bump(24, 3.0, 100 + i));
        let mat = s.textured(photo(d.count(6 + k, 0, 6)), bump);
        let size = Vec3::new(d.range(7, k, 2.0, 9.0), d.range(8, k, 1.5, 4.0), 0.3);
        let p = d.ground(9, k, 7.0) + Vec3::Y * size.y / 2.0;
        s.place(
            Mesh::cuboid(size, d.range(10, k, 0.3, 0.7)),
            mat,
            Mat4::from_rotation_translation(Quat::from_rotation_y(d.range(11, k, 0.0, 3.2)), p),
        );
    }

    // Foliage: clusters of alpha-tested leaf cards, at any distance from the camera.
    let leaves_tex =
        if d.unit(12, 0) < 0.6 { Photos::leaves() } else { texture::foliage(256, (seed as u32).wrapping_add(7)) };
    let leaves_tex = s.add_texture(leaves_tex);
    let leaves = s.add_material(Material {
        base_color_texture: Some(leaves_tex),
        alpha_mode: AlphaMode::Mask(0.5),
        ..Default::default()
    });
    for c in 0..d.count(13, 1, 3) {
        let centre = d.ground(14, c as i32, 6.0) + Vec3::Y * d.range(15, c as i32, 0.8, 2.5);
        let card = d.range(16, c as i32, 0.5, 1.3);
        let mut cards = Mesh::default();
        for j in 0..d.count(17 + c as i32, 6, 18) {
            let (h1, h2, h3) = (d.unit(18 + c as i32, j as i32), d.unit(21 + c as i32, j as i32), d.unit(24, j as i32));
            cards.append(
                &Mesh::quad(Vec2::splat(card), Vec2::ONE),
                Mat4::from_rotation_translation(
                    Quat::from_rotation_y(h1 * 6.3) * Quat::from_rotation_x(h3 - 0.5),
                    centre + Vec3::new((h1 - 0.5) * 2.0, (h2 - 0.5) * 1.5, (h3 - 0.5) * 2.0),
                ),
            );
        }
        s.place(cards, leaves, Mat4::IDENTITY);
    }

    // Fences and a grate: sub-pixel bars.
    let wood = s.textured(Photos::wood(), None);
    for f in 0..d.count(25, 0, 2) {
        let origin = d.ground(26, f as i32, 6.0);
        fence(&mut s, wood, origin, d.range(27, f as i32, 3.0, 9.0), d.count(28 + f as i32, 8, 40));
    }
    if d.unit(30, 0) < 0.6 {
        let grate_tex = s.add_texture(texture::grate(256, d.count(30, 8, 20), d.range(30, 1, 0.12, 0.3)));
        let grate = s.add_material(Material {
            base_color_texture: Some(grate_tex),
            alpha_mode: AlphaMode::Mask(0.5),
            uv_transform: Affine2::from_scale(Vec2::splat(d.range(30, 2, 1.0, 3.0))),
            ..Default::default()
        });
        s.place(
            Mesh::quad(Vec2::new(2.0, 1.6), Vec2::ONE),
            grate,
            Mat4::from_rotation_translation(
                Quat::from_rotation_y(d.range(30, 3, 0.0, 3.2)),
                d.ground(31, 0, 4.0) + Vec3::Y * 1.0,
            ),
        );
    }

    // Signs with text, and photographs on stands.
    for g in 0..d.count(32, 0, 2) {
        let k = g as i32;
        let w0 = SIGN_WORDS[d.count(33 + k, 0, 7) as usize];
        let w1 = SIGN_WORDS[d.count(36 + k, 0, 7) as usize];
        let text = s.add_texture(texture::text(256, 128, &[w0, w1], d.count(39 + k, 2, 4), d.unit(42, k) < 0.5));
        let sign = s.add_material(Material { base_color_texture: Some(text), ..Default::default() });
        s.place(
            Mesh::quad(Vec2::new(1.6, 0.8), Vec2::ONE),
            sign,
            Mat4::from_rotation_translation(
                Quat::from_rotation_y(d.range(43, k, 0.0, 3.2)),
                d.ground(44, k, 5.0) + Vec3::Y * d.range(45, k, 0.8, 2.5),
            ),
        );
    }
    for p in 0..d.count(46, 0, 2) {
        let k = p as i32;
        let m = s.textured(photo(d.count(47 + k, 0, 6)), None);
        let size = d.range(49, k, 0.8, 2.0);
        s.place(
            Mesh::quad(Vec2::splat(size), Vec2::ONE),
            m,
            Mat4::from_rotation_translation(
                Quat::from_rotation_y(d.range(50, k, 0.0, 3.2)),
                d.ground(51, k, 5.0) + Vec3::Y * (size / 2.0 + 0.3),
            ),
        );
    }

    // Lamps: a row of small emissive bulbs, bright enough to alias.
    if d.unit(52, 0) < 0.6 {
        let lamp = s.emissive(Vec3::new(d.range(52, 1, 10.0, 40.0), d.range(52, 2, 8.0, 30.0), 12.0));
        let mut bulbs = Mesh::default();
        let (start, dir) = (d.ground(53, 0, 5.0), Vec3::new(d.range(53, 2, -1.0, 1.0), 0.0, d.range(53, 3, -1.0, 1.0)));
        let h = d.range(53, 4, 1.0, 3.5);
        for i in 0..d.count(54, 8, 30) {
            bulbs.append(&Mesh::sphere(0.03, 4, 6), at(start + dir * 0.35 * i as f32 + Vec3::Y * h));
        }
        s.place(bulbs, lamp, Mat4::IDENTITY);
    }

    // Crates on the ground.
    let crate_mat = s.textured(photo(d.count(55, 0, 6)), None);
    for i in 0..d.count(56, 0, 5) {
        let k = i as i32;
        let size = d.range(57, k, 0.3, 1.0);
        s.place(
            Mesh::cuboid(Vec3::splat(size), 1.0),
            crate_mat,
            Mat4::from_rotation_translation(
                Quat::from_rotation_y(d.range(58, k, 0.0, 3.2)),
                d.ground(59, k, 6.0) + Vec3::Y * size / 2.0,
            ),
        );
    }

    // Moving objects: spheres and cubes crossing the view, some fast.
    for i in 0..d.count(60, 1, 3) {
        let k = i as i32;
        let mat = if d.unit(61, k) < 0.5 {
            s.solid(Vec3::new(d.unit(62, k), d.unit(63, k), d.unit(64, k)) * 0.8, d.range(65, k, 0.1, 2.0), 80.0)
        } else {
            s.textured(photo(d.count(66 + k, 0, 6)), None)
        };
        let r = d.range(69, k, 0.2, 0.5);
        let mesh = if d.unit(70, k) < 0.5 {
            s.add_mesh(Mesh::sphere(r, 16, 24))
        } else {
            s.add_mesh(Mesh::cuboid(Vec3::splat(2.0 * r), 1.0))
        };
        let (origin, v) = (d.ground(71, k, 3.0), Vec3::new(d.range(72, k, -8.0, 8.0), 0.0, d.range(73, k, -3.0, 3.0)));
        let (y, spin) = (r + d.range(74, k, 0.0, 1.5), d.range(75, k, -4.0, 4.0));
        s.add(Object::animated(mesh, mat, move |t| {
            // Wrap along a 12 m track so the object keeps crossing.
            let p = origin + v * t;
            let p = Vec3::new((p.x + 6.0).rem_euclid(12.0) - 6.0, y, (p.z + 6.0).rem_euclid(12.0) - 6.0);
            Mat4::from_rotation_translation(Quat::from_rotation_y(spin * t) * Quat::from_rotation_x(0.7 * spin * t), p)
        }));
    }
    if d.unit(76, 0) < 0.4 {
        smoke(&mut s, d.ground(77, 0, 4.0), d.count(78, 8, 20), (seed as u32).wrapping_add(200));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::yard;

    #[test]
    fn a_layout_seed_builds_the_same_scene_every_time_and_another_seed_a_different_one() {
        let layout = |seed| {
            let s = yard(seed);
            let vertices: usize = s.meshes.iter().map(|m| m.vertices.len()).sum();
            (s.camera.keyframes.iter().map(|k| k.position).collect::<Vec<_>>(), s.objects.len(), vertices)
        };
        assert_eq!(layout(7), layout(7));
        for other in [8, 9, 1 << 40, u64::MAX] {
            assert_ne!(layout(7), layout(other), "seeds 7 and {other} built the same yard");
        }
    }
}
