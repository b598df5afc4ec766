package capacity

func defaultPowerProbe() PowerProbe { return SysfsPowerProbe{Root: "/sys"} }
