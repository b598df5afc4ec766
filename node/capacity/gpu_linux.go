package capacity

func defaultGPUProbe() GPUProbe { return SystemGPUProbe{SysRoot: "/sys"} }
