using FastIova.Perf.Baselines;
using FastIova.Perf.Scaling.Sources;
using FastIova.Perf.Scenarios;

namespace FastIova.Perf.Scaling;

/// <summary>
/// The per-thread pattern (<see cref="PerThreadWorker{TSource}"/>) under the 32-bit limit <c>Dma32Pfn - 1</c>, on a
/// fresh domain per run, through one of FastIova's paths or the global-lock baseline.
/// </summary>
internal sealed class PerThreadWorkload : IScalingWorkload
{
    private readonly Kind _kind;

    private PerThreadWorkload(Kind kind) => _kind = kind;

    private enum Kind
    {
        FastPath,
        OwnedCache,
        CheckedFastPath,
        TreePath,
        GlobalLock,
    }

    /// <summary>FastIova's fast path (<c>TryAllocateFast</c>/<c>FreeFast</c>).</summary>
    public static PerThreadWorkload FastPath { get; } = new(Kind.FastPath);

    /// <summary>FastIova's fast path through an <see cref="IovaCache"/> per worker thread.</summary>
    public static PerThreadWorkload OwnedCache { get; } = new(Kind.OwnedCache);

    /// <summary>FastIova's uncached tree path (<c>TryAllocate</c>/<c>Free</c>).</summary>
    public static PerThreadWorkload TreePath { get; } = new(Kind.TreePath);

    /// <summary>The fast path of a domain in checked mode (double and foreign frees detected): what checking costs.</summary>
    public static PerThreadWorkload CheckedFastPath { get; } = new(Kind.CheckedFastPath);

    /// <summary>The global-lock baseline.</summary>
    public static PerThreadWorkload GlobalLock { get; } = new(Kind.GlobalLock);

    /// <inheritdoc />
    public string Workload => "per-thread";

    /// <inheritdoc />
    public string Impl => _kind switch
    {
        Kind.FastPath => "fastiova-fast",
        Kind.OwnedCache => "fastiova-owned",
        Kind.CheckedFastPath => "fastiova-checked",
        Kind.TreePath => "fastiova-tree",
        _ => "global-lock",
    };

    /// <inheritdoc />
    public IScalingRun Prepare(int threads, ScalingSettings settings) => new Run(_kind, settings);

    private sealed class Run : IScalingRun
    {
        private readonly Kind _kind;
        private readonly ScalingSettings _settings;
        private readonly IovaDomain _domain;
        private readonly GlobalLockAllocator _globalLock;
        private readonly ulong _limitPfn;
        private readonly List<IovaCache> _caches = [];

        public Run(Kind kind, ScalingSettings settings)
        {
            _kind = kind;
            _settings = settings;
            _domain = new IovaDomain(FragmentedDomain.Granule, FragmentedDomain.StartPfn, new IovaDomainOptions { Checked = kind == Kind.CheckedFastPath });
            _limitPfn = _domain.Dma32Pfn - 1;
            _globalLock = new GlobalLockAllocator(FragmentedDomain.StartPfn);
        }

        public IScalingWorker CreateWorker(int index) => _kind switch
        {
            Kind.FastPath or Kind.CheckedFastPath => Worker(new FastPathSource(_domain, _limitPfn), index),
            Kind.OwnedCache => Worker(new OwnedCacheSource(NewCache(), _limitPfn), index),
            Kind.TreePath => Worker(new TreePathSource(_domain, _limitPfn), index),
            _ => Worker(new GlobalLockSource(_globalLock, _limitPfn), index),
        };

        public long? TreeLockContentions => _kind == Kind.GlobalLock ? null : _domain.TreeLockContentions;

        public void Dispose()
        {
            foreach (var cache in _caches)
                cache.Dispose();
            _domain.Dispose();
        }

        private PerThreadWorker<TSource> Worker<TSource>(TSource source, int index)
            where TSource : struct, IRangeSource =>
            new(source, index, _settings.WorkingSet, _settings.WorkingSets);

        // Workers are created on their own threads, at the same time.
        private IovaCache NewCache()
        {
            var cache = _domain.CreateCache();
            lock (_caches)
                _caches.Add(cache);
            return cache;
        }
    }
}
