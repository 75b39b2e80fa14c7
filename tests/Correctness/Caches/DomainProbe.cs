namespace FastIova.Tests.Correctness.Caches;

/// <summary>Reads a domain's tree after <see cref="IovaDomain.Dispose"/>, when every public member throws.</summary>
internal static class DomainProbe
{
    public static int TreeCount(IovaDomain domain) => domain.TreeCountIgnoringDisposal;
}
