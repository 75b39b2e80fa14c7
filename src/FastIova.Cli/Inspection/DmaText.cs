using FastIova.Dma;

namespace FastIova.Cli.Inspection;

/// <summary>How the inspection commands describe a DMA domain's mode and its workaround flips.</summary>
internal static class DmaText
{
    /// <summary>The mode's trace word and what it means.</summary>
    public static string Mode(DmaUnmapMode mode) => mode switch
    {
        DmaUnmapMode.Strict => "strict (unmaps free at once)",
        DmaUnmapMode.Lazy => "lazy (per-CPU flush queues of 256 slots, 10 ms timer)",
        _ => "lazy-single (one shared flush queue of 32,768 slots, 1000 ms timer)",
    };

    /// <summary>The flipped devices, e.g. <c>device 1 at op 10 (line 17)</c>, or <c>none</c>.</summary>
    public static string Flips(IReadOnlyList<WorkaroundFlip> flips) => flips.Count == 0
        ? "none"
        : string.Join(", ", flips.Select(f => $"device {f.Device} at op {Units.Count(f.Operation)} (line {f.Line})"));
}
