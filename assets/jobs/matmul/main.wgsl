// multiplies two 256×256 float32 matrices, one invocation an element of the product.
// The same sum, in the same order, as main.go, the job's CPU twin: row-major A × B.
const n = 256u;
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
	var sum = 0.0;
	for (var k = 0u; k < n; k = k + 1u) {
		sum = sum + a[id.y * n + k] * b[k * n + id.x];
	}
	c[id.y * n + id.x] = sum;
}
