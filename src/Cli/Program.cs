using System.Runtime.InteropServices;
using DurableTrainer.Cli.Commands;

// dtrain: the command-line client. `dtrain --help` lists the commands, options, environment variables and exit codes.
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // Stop politely: the train command stops the local stack it started before exiting.
    e.Cancel = true;
    cancellation.Cancel();
};

// SIGTERM (a service manager, `kill`) stops as politely as Ctrl+C: `dtrain up` and `train` stop what they started.
using PosixSignalRegistration terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    cancellation.Cancel();
});

return await new DtrainCommandLine(CliHost.ForConsole()).RunAsync(args, cancellation.Token);
