using System.Reflection;
using Xunit.Sdk;

namespace FastIova.Tests.Concurrency.Infrastructure;

/// <summary>Supplies each <see cref="ExplorationStrategy"/> to a theory: every scenario is explored with all three.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class AllStrategiesAttribute : DataAttribute
{
    /// <inheritdoc />
    public override IEnumerable<object[]> GetData(MethodInfo testMethod) =>
        Enum.GetValues<ExplorationStrategy>().Select(strategy => new object[] { strategy });
}
