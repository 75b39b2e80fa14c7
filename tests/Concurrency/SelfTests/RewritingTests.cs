using System.Reflection;
using Xunit;

namespace FastIova.Tests.Concurrency.SelfTests;

/// <summary>
/// Coyote controls only rewritten assemblies; an un-rewritten one shows up as a false "Deadlock detected" bug or,
/// worse, as races that are never explored. The build's CoyoteRewrite target must have stamped both.
/// </summary>
public sealed class RewritingTests
{
    private const string SignatureAttribute = "Microsoft.Coyote.Rewriting.RewritingSignatureAttribute";

    [Fact]
    public void LibraryAssembly_IsRewrittenByCoyote() => AssertRewritten(typeof(IovaDomain).Assembly);

    [Fact]
    public void TestAssembly_IsRewrittenByCoyote() => AssertRewritten(typeof(RewritingTests).Assembly);

    private static void AssertRewritten(Assembly assembly) =>
        Assert.True(
            assembly.GetCustomAttributesData().Any(a => a.AttributeType.FullName == SignatureAttribute),
            $"{assembly.GetName().Name} at {assembly.Location} lacks {SignatureAttribute}: the CoyoteRewrite build target did not run on it.");
}
