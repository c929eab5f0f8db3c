using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace DurableTrainer.Cli.Commands;

/// <summary>The usual help, followed by the environment variables and exit codes.</summary>
internal sealed class HelpWithExitCodes(HelpAction inner) : SynchronousCommandLineAction
{
    public override int Invoke(ParseResult parseResult)
    {
        int result = inner.Invoke(parseResult);
        TextWriter output = parseResult.InvocationConfiguration.Output;
        output.WriteLine($"""
            Environment:
              {CliHost.ServerVariable}  the server when --server is not given (default {CliHost.DefaultServer})
              {CliHost.KeyVariable}     the key when --key is not given (sent as x-api-key and x-functions-key)

            {ExitCodes.HelpText}
            """);
        return result;
    }
}
