using FastIova.Dma;

namespace FastIova.Cli;

/// <summary>
/// The DMA part of <c>fastiova demo</c>: one NIC's packet traffic in strict and in lazy mode side by side (the flush
/// queue changes which address the next packet gets), and a PCI device's 32-bit workaround flipping in a small aperture.
/// </summary>
internal static class DmaDemo
{
    private const int Ring = 4;
    private const int Packets = 12;
    private const ulong PacketSize = 1500;

    /// <summary>Runs both sections.</summary>
    public static void Run(TextWriter output)
    {
        RunStrictVersusLazy(output);
        output.WriteLine();
        RunWorkaroundFlip(output);
    }

    private static void RunStrictVersusLazy(TextWriter output)
    {
        output.WriteLine("DMA, strict vs lazy unmap: a NIC (PCI, 64-bit mask) keeps 4 receive buffers of 1500 B mapped on 2 simulated CPUs;");
        output.WriteLine("each new packet unmaps the oldest buffer, then maps the new one on the same CPU. Same traffic, two modes:");
        var strict = Traffic(DmaUnmapMode.Strict);
        var lazy = Traffic(DmaUnmapMode.Lazy);
        int differing = 0;
        for (int i = 0; i < strict.Count; i++)
        {
            var (step, s) = strict[i];
            bool differs = s != lazy[i].Address;
            differing += differs ? 1 : 0;
            output.WriteLine($"  {step,-42} strict 0x{s:x}   lazy 0x{lazy[i].Address:x}{(differs ? "   <- differs" : "")}");
        }

        output.WriteLine($"  {differing} of {strict.Count} addresses differ. Strict mode frees an unmapped IOVA into the CPU's range cache at once, so the");
        output.WriteLine("  next packet reuses it; lazy mode (Linux's default) keeps it in the CPU's flush queue until an IOTLB flush has completed,");
        output.WriteLine("  so new packets take fresh addresses. The timer (10 ms) then flushes and frees every queue into the cache of the CPU");
        output.WriteLine("  that armed it (CPU 0): CPU 0 reuses an address again, CPU 1 still takes a fresh one.");
    }

    /// <summary>The traffic on a fresh domain in <paramref name="mode"/>: each map's step and DMA address.</summary>
    private static List<(string Step, ulong Address)> Traffic(DmaUnmapMode mode)
    {
        using var dma = new DmaDomain(new DmaDomainOptions
        {
            UnmapMode = mode,
            CpuCount = 2,
            SimulatedTimer = true,
            DepotTrimInterval = Timeout.InfiniteTimeSpan,
        });
        var nic = dma.AttachDevice(1, ulong.MaxValue, 0xffff_ffff, pci32BitWorkaround: true);
        var maps = new List<(string, ulong)>();
        var ring = new Queue<ulong>();
        for (int packet = 0; packet < Packets; packet++)
        {
            // The 13th step is the flush timer firing (lazy: the queues are freed into CPU 0's cache; strict: idle).
            if (packet == Packets - 2)
                dma.FireFlushTimer();
            var cpu = dma.Cpu(packet < Ring ? 0 : packet % 2);
            if (ring.Count == Ring)
                cpu.Unmap(ring.Dequeue(), PacketSize);
            ulong physical = 0x10_0000UL + (ulong)packet * 0x800 + 2;
            ulong address = cpu.Map(nic, physical, PacketSize);
            ring.Enqueue(address);
            string timer = packet >= Packets - 2 ? ", after the timer" : "";
            maps.Add(($"packet {packet,2} on CPU {cpu.Index}{timer}:", address));
        }

        return maps;
    }

    private static void RunWorkaroundFlip(TextWriter output)
    {
        // The aperture starts at 0xffff0000: 16 pages lie below 4 GiB, room for four 16 KiB buffers.
        using var dma = new DmaDomain(new DmaDomainOptions
        {
            ApertureStart = 0xffff_0000,
            UnmapMode = DmaUnmapMode.Strict,
            CpuCount = 1,
            SimulatedTimer = true,
            DepotTrimInterval = Timeout.InfiniteTimeSpan,
        });
        var pci = dma.AttachDevice(1, ulong.MaxValue, 0xffff_ffff, pci32BitWorkaround: true);
        var cpu = dma.Cpu(0);
        output.WriteLine("DMA, the PCI 32-bit workaround: a 64-bit PCI device in an aperture from 0xffff0000 (16 pages below 4 GiB).");
        output.WriteLine("Linux first tries below 4 GiB; the first failure clears the device's flag for good and maps go above 4 GiB.");
        for (int i = 1; i <= 5; i++)
        {
            bool before = pci.Uses32BitWorkaround;
            ulong address = cpu.Map(pci, (ulong)i << 16, 16384);
            string where = address > uint.MaxValue ? "above 4 GiB" : "below 4 GiB";
            string flag = before && !pci.Uses32BitWorkaround ? ": below 4 GiB is full, the workaround flag is now cleared for good" : "";
            output.WriteLine($"  map 16 KiB #{i} -> 0x{address:x} ({where}){flag}");
        }

        output.WriteLine($"  device 1 workaround: {(pci.Uses32BitWorkaround ? "on" : "off")}; workaround flips in the domain: {dma.WorkaroundFlips}");
    }
}
