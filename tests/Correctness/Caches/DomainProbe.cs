using System.Reflection;
using FastIova.Tree;

namespace FastIova.Tests.Correctness.Caches;

/// <summary>
/// Reads a domain's tree after <see cref="IovaDomain.Dispose"/>, when every public member throws: the only way to
/// see that Dispose flushed the caches. Reaches the private allocator field by reflection; if it is renamed, this
/// fails with a message saying so.
/// </summary>
internal static class DomainProbe
{
    private static readonly FieldInfo s_allocator =
        typeof(IovaDomain).GetField("_allocator", BindingFlags.NonPublic | BindingFlags.Instance)
        ?? throw new InvalidOperationException("IovaDomain has no private field _allocator any more; update DomainProbe.");

    public static int TreeCount(IovaDomain domain) => ((IovaAllocator)s_allocator.GetValue(domain)!).Tree.Count;
}
