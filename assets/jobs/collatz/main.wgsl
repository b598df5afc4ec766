// counts the Collatz steps of each number of start.bin, 65,536 numbers a dispatch.
// The same algorithm as main.go, the job's CPU twin.
@group(0) @binding(0) var<storage, read> start: array<u32>;
@group(0) @binding(1) var<storage, read_write> steps: array<u32>;
@group(0) @binding(2) var<uniform> part: vec4<u32>; // x: the dispatch's number

fn collatz(first: u32) -> u32 {
	var n = first;
	var s = 0u;
	while (n > 1u) {
		if (n % 2u == 0u) {
			n = n / 2u;
		} else {
			if (n >= 0x55555555u) { // 3n+1 would not fit in 32 bits
				return 0xffffffffu;
			}
			n = 3u * n + 1u;
		}
		s = s + 1u;
	}
	return s;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
	let i = part.x * 65536u + id.x;
	steps[i] = collatz(start[i]);
}
