# Shared by the benchmarks that run the main job against plain PyTorch: sourced after scripts/prerequisites.sh.

# Debian's PyTorch for /usr/bin/python3 (not a pyenv one), with the OpenMP OpenBLAS it runs best on.
ensure_system_pytorch() {
  if ! /usr/bin/python3 -c "import torch" >/dev/null 2>&1 || ! dpkg -s libopenblas0-openmp >/dev/null 2>&1; then
    apt_install python3-torch libopenblas0-openmp
  fi
}

# dtrain and the worker it starts, built once before anything is timed.
build_local_stack() {
  dotnet build src/Cli/Cli.csproj -c Release -nologo -v quiet -clp:"ErrorsOnly;NoSummary" >/dev/null
  dotnet build src/Worker/Worker.csproj -c Release -nologo -v quiet -clp:"ErrorsOnly;NoSummary" >/dev/null
}

dtrain() { dotnet src/Cli/bin/Release/net10.0/linux-x64/dtrain.dll "$@"; }
