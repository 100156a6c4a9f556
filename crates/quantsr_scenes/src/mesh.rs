//! Triangle meshes: the vertex layout the rasterizer reads and procedural shapes for the
//! built-in scenes.

use glam::{Vec2, Vec3, Vec4};

/// One vertex as the rasterizer reads it (48 bytes, interleaved).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Vertex {
    /// Object-space position.
    pub position: [f32; 3],
    /// Object-space normal (unit length).
    pub normal: [f32; 3],
    /// Object-space tangent, w = bitangent sign (glTF convention).
    pub tangent: [f32; 4],
    /// Texture coordinate, (0,0) top-left of the image.
    pub uv: [f32; 2],
}

/// An indexed triangle list.
#[derive(Debug, Clone, Default)]
pub struct Mesh {
    /// Vertices.
    pub vertices: Vec<Vertex>,
    /// Triangle indices, counter-clockwise front faces.
    pub indices: Vec<u32>,
}

impl Mesh {
    /// Axis-aligned bounds of the vertices.
    pub fn bounds(&self) -> (Vec3, Vec3) {
        self.vertices.iter().fold((Vec3::splat(f32::MAX), Vec3::splat(f32::MIN)), |(lo, hi), v| {
            let p = Vec3::from(v.position);
            (lo.min(p), hi.max(p))
        })
    }

    fn push_quad(&mut self, corners: [Vec3; 4], normal: Vec3, tangent: Vec3, uv_scale: Vec2) {
        let base = self.vertices.len() as u32;
        let uvs = [Vec2::new(0.0, 1.0), Vec2::new(1.0, 1.0), Vec2::new(1.0, 0.0), Vec2::new(0.0, 0.0)];
        for (p, uv) in corners.iter().zip(uvs) {
            self.vertices.push(Vertex {
                position: p.to_array(),
                normal: normal.to_array(),
                tangent: tangent.extend(1.0).to_array(),
                uv: (uv * uv_scale).to_array(),
            });
        }
        self.indices.extend([base, base + 1, base + 2, base, base + 2, base + 3]);
    }

    /// A rectangle in the XY plane facing +Z, centred on the origin, `size` wide and high,
    /// with the texture repeated `uv_scale` times.
    pub fn quad(size: Vec2, uv_scale: Vec2) -> Self {
        let (hx, hy) = (size.x / 2.0, size.y / 2.0);
        let mut m = Mesh::default();
        m.push_quad(
            [Vec3::new(-hx, -hy, 0.0), Vec3::new(hx, -hy, 0.0), Vec3::new(hx, hy, 0.0), Vec3::new(-hx, hy, 0.0)],
            Vec3::Z,
            Vec3::X,
            uv_scale,
        );
        m
    }

    /// A box centred on the origin with the given extents; each face maps the texture
    /// `uv_per_unit` times per world unit, so textures keep their scale on long boxes.
    pub fn cuboid(size: Vec3, uv_per_unit: f32) -> Self {
        let h = size / 2.0;
        let mut m = Mesh::default();
        // (normal, tangent, bitangent) per face; corners go counter-clockwise seen from outside.
        let faces = [
            (Vec3::X, Vec3::NEG_Z, Vec3::Y),
            (Vec3::NEG_X, Vec3::Z, Vec3::Y),
            (Vec3::Y, Vec3::X, Vec3::NEG_Z),
            (Vec3::NEG_Y, Vec3::X, Vec3::Z),
            (Vec3::Z, Vec3::X, Vec3::Y),
            (Vec3::NEG_Z, Vec3::NEG_X, Vec3::Y),
        ];
        for (n, t, b) in faces {
            let c = n * h;
            let (et, eb) = (t * (t.abs() * h), b * (b.abs() * h));
            let (tu, tv) = ((t.abs() * size).max_element(), (b.abs() * size).max_element());
            m.push_quad([c - et - eb, c + et - eb, c + et + eb, c - et + eb], n, t, Vec2::new(tu, tv) * uv_per_unit);
        }
        m
    }

    /// A UV sphere of radius `radius`.
    pub fn sphere(radius: f32, rings: u32, segments: u32) -> Self {
        let mut m = Mesh::default();
        for r in 0..=rings {
            let v = r as f32 / rings as f32;
            let theta = v * std::f32::consts::PI;
            for s in 0..=segments {
                let u = s as f32 / segments as f32;
                let phi = u * std::f32::consts::TAU;
                let n = Vec3::new(theta.sin() * phi.cos(), theta.cos(), -theta.sin() * phi.sin());
                let t = Vec3::new(-phi.sin(), 0.0, -phi.cos());
                m.vertices.push(Vertex {
                    position: (n * radius).to_array(),
                    normal: n.to_array(),
                    tangent: t.extend(1.0).to_array(),
                    uv: [u * 2.0, v],
                });
            }
        }
        let row = segments + 1;
        for r in 0..rings {
            for s in 0..segments {
                let (a, b) = (r * row + s, (r + 1) * row + s);
                m.indices.extend([a, b, b + 1, a, b + 1, a + 1]);
            }
        }
        m
    }

    /// A capped cylinder along +Y from 0 to `length`: wires, posts, bars.
    pub fn cylinder(radius: f32, length: f32, segments: u32) -> Self {
        let mut m = Mesh::default();
        for end in 0..2 {
            for s in 0..=segments {
                let u = s as f32 / segments as f32;
                let phi = u * std::f32::consts::TAU;
                let n = Vec3::new(phi.cos(), 0.0, -phi.sin());
                let p = n * radius + Vec3::Y * (end as f32 * length);
                let t = Vec3::new(-phi.sin(), 0.0, -phi.cos());
                m.vertices.push(Vertex {
                    position: p.to_array(),
                    normal: n.to_array(),
                    tangent: t.extend(1.0).to_array(),
                    uv: [u, end as f32 * length],
                });
            }
        }
        let row = segments + 1;
        for s in 0..segments {
            m.indices.extend([s, s + 1, row + s + 1, s, row + s + 1, row + s]);
        }
        m
    }

    /// Appends `other` transformed by `transform` (for merging static parts into one draw).
    pub fn append(&mut self, other: &Mesh, transform: glam::Mat4) {
        let base = self.vertices.len() as u32;
        let normal_matrix = glam::Mat3::from_mat4(transform).inverse().transpose();
        for v in &other.vertices {
            let t = Vec4::from(v.tangent);
            let tangent = (glam::Mat3::from_mat4(transform) * t.truncate()).normalize_or_zero();
            self.vertices.push(Vertex {
                position: transform.transform_point3(Vec3::from(v.position)).to_array(),
                normal: (normal_matrix * Vec3::from(v.normal)).normalize_or_zero().to_array(),
                tangent: tangent.extend(t.w).to_array(),
                uv: v.uv,
            });
        }
        self.indices.extend(other.indices.iter().map(|i| i + base));
    }

    /// Recomputes tangents from positions and UVs (for assets that ship none), keeping normals.
    pub fn compute_tangents(&mut self) {
        let mut tan = vec![Vec3::ZERO; self.vertices.len()];
        let mut bit = vec![Vec3::ZERO; self.vertices.len()];
        for tri in self.indices.chunks_exact(3) {
            let [a, b, c] = [tri[0] as usize, tri[1] as usize, tri[2] as usize];
            let (pa, pb, pc) = (
                Vec3::from(self.vertices[a].position),
                Vec3::from(self.vertices[b].position),
                Vec3::from(self.vertices[c].position),
            );
            let (ua, ub, uc) =
                (Vec2::from(self.vertices[a].uv), Vec2::from(self.vertices[b].uv), Vec2::from(self.vertices[c].uv));
            let (e1, e2, d1, d2) = (pb - pa, pc - pa, ub - ua, uc - ua);
            let det = d1.x * d2.y - d2.x * d1.y;
            if det.abs() < 1e-12 {
                continue;
            }
            let r = 1.0 / det;
            let t = (e1 * d2.y - e2 * d1.y) * r;
            let bt = (e2 * d1.x - e1 * d2.x) * r;
            for i in [a, b, c] {
                tan[i] += t;
                bit[i] += bt;
            }
        }
        for (i, v) in self.vertices.iter_mut().enumerate() {
            let n = Vec3::from(v.normal);
            let t = (tan[i] - n * n.dot(tan[i])).normalize_or_zero();
            let t = if t == Vec3::ZERO { n.any_orthonormal_vector() } else { t };
            let w = if n.cross(t).dot(bit[i]) < 0.0 { -1.0 } else { 1.0 };
            v.tangent = t.extend(w).to_array();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuboid_faces_point_outwards_and_wind_counter_clockwise() {
        let m = Mesh::cuboid(Vec3::new(2.0, 1.0, 3.0), 1.0);
        assert_eq!(m.vertices.len(), 24);
        for tri in m.indices.chunks_exact(3) {
            let p: Vec<Vec3> = tri.iter().map(|&i| Vec3::from(m.vertices[i as usize].position)).collect();
            let face_normal = (p[1] - p[0]).cross(p[2] - p[0]).normalize();
            let n = Vec3::from(m.vertices[tri[0] as usize].normal);
            assert!(face_normal.dot(n) > 0.99, "{face_normal} vs {n}");
            assert!(p[0].dot(n) > 0.0, "face is not on the outside");
        }
    }

    #[test]
    fn computed_tangents_follow_u_direction() {
        let mut m = Mesh::quad(Vec2::ONE, Vec2::ONE);
        m.vertices.iter_mut().for_each(|v| v.tangent = [0.0; 4]);
        m.compute_tangents();
        for v in &m.vertices {
            assert!((Vec3::from_slice(&v.tangent[..3]) - Vec3::X).length() < 1e-5);
        }
    }
}
