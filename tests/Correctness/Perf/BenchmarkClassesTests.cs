using System.Reflection;
using BenchmarkDotNet.Attributes;
using FastIova.Perf.CommandLine;
using Xunit;

namespace FastIova.Tests.Correctness.Perf;

/// <summary>
/// Every BenchmarkDotNet class of the perf suite runs, in-process and without BenchmarkDotNet: its setup, each
/// benchmark a few times, its cleanup, for every value of its enum parameters and the smallest of the others. A
/// benchmark that throws (a scenario that no longer builds, an allocation that no longer lands where the benchmark
/// expects) then fails here instead of half an hour into a benchmark run.
/// </summary>
public sealed class BenchmarkClassesTests
{
    public static TheoryData<string> BenchmarkClasses() => [.. ClassNames()];

    [Fact]
    public void TheSuiteHasItsFourBenchmarkClasses() =>
        Assert.Equal(
            ["DmaMapBenchmarks", "FastPathBenchmarks", "RetryPassBenchmarks", "TreePathBenchmarks"],
            ClassNames().Select(name => name.Split('.')[^1]).Order());

    [Theory]
    [MemberData(nameof(BenchmarkClasses))]
    public void EveryBenchmarkRuns(string typeName)
    {
        Type type = PerfAssembly.GetType(typeName, throwOnError: true)!;
        MethodInfo[] benchmarks = [.. type.GetMethods().Where(m => m.IsDefined(typeof(BenchmarkAttribute)))];
        foreach (IReadOnlyList<(PropertyInfo Property, object? Value)> parameters in Combinations(type))
        {
            object instance = Activator.CreateInstance(type)!;
            foreach ((PropertyInfo property, object? value) in parameters)
                property.SetValue(instance, value);

            Invoke<GlobalSetupAttribute>(type, instance);
            try
            {
                foreach (MethodInfo benchmark in benchmarks)
                {
                    for (int i = 0; i < 3; i++)
                        benchmark.Invoke(instance, null);
                }
            }
            finally
            {
                Invoke<GlobalCleanupAttribute>(type, instance);
            }
        }
    }

    private static Assembly PerfAssembly => typeof(PerfCommandLine).Assembly;

    private static IEnumerable<string> ClassNames() =>
        PerfAssembly.GetTypes()
            .Where(t => t.GetMethods().Any(m => m.IsDefined(typeof(BenchmarkAttribute))))
            .Select(t => t.FullName!);

    private static void Invoke<TAttribute>(Type type, object instance)
        where TAttribute : Attribute
    {
        foreach (MethodInfo method in type.GetMethods().Where(m => m.IsDefined(typeof(TAttribute))))
            method.Invoke(instance, null);
    }

    // Enum parameters take every value (each is a different code path); numeric ones their smallest (a size).
    private static IEnumerable<IReadOnlyList<(PropertyInfo, object?)>> Combinations(Type type)
    {
        IEnumerable<IReadOnlyList<(PropertyInfo, object?)>> combinations = [[]];
        foreach (PropertyInfo property in type.GetProperties())
        {
            if (property.GetCustomAttribute<ParamsAttribute>() is not { } attribute)
                continue;
            object?[] values = property.PropertyType.IsEnum ? attribute.Values : [attribute.Values.Min()];
            combinations = [.. combinations.SelectMany(c => values.Select(v => (IReadOnlyList<(PropertyInfo, object?)>)[.. c, (property, v)]))];
        }

        return combinations;
    }
}
