#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""An SDM630-like Modbus server built on pymodbus (Debian's python3-pymodbus 3.0), so ampshare's
meter reader is tested against a server no one here wrote.

Input registers hold IEEE-754 float32 values, high word first, at the addresses of
../shared/research/modbus-maps.md section 3.1. Holding registers, coils and discrete inputs are
tiny blocks, so reads elsewhere get "illegal data address" as from a real meter.

  pymodbus_server.py --tcp PORT [--unit N]          # PORT 0 picks a free one
  pymodbus_server.py --rtu /dev/pts/N [--unit N] [--baud 9600]

Prints "ready PORT" (TCP) or "ready" (RTU) on stdout once it serves, then runs until killed.
"""
import argparse
import asyncio
import struct
import sys

from pymodbus.datastore import (
    ModbusServerContext,
    ModbusSequentialDataBlock,
    ModbusSlaveContext,
)
from pymodbus.server import StartAsyncSerialServer, StartAsyncTcpServer
from pymodbus.transaction import ModbusRtuFramer

# address -> value; the expected readings in the tests are these literals in ampshare units.
SDM630_VALUES = {
    0x0000: 230.0,  # voltage L1, V
    0x0002: 231.5,
    0x0004: 229.8,
    0x0006: 10.0,  # current L1, A (a magnitude)
    0x0008: 15.9,
    0x000A: 0.5,
    0x000C: 2300.0,  # active power L1, W
    0x000E: -3680.0,  # L2 exports: the reader signs its current negative
    0x0010: 115.0,
    0x0034: -1265.0,  # total active power, W
    0x0048: 12345.67,  # import energy, kWh
}


def sdm630_block():
    regs = [0] * 0x50
    for addr, value in SDM630_VALUES.items():
        hi, lo = struct.unpack(">HH", struct.pack(">f", value))
        regs[addr] = hi
        regs[addr + 1] = lo
    return ModbusSequentialDataBlock(0, regs)


def context(unit):
    slave = ModbusSlaveContext(
        di=ModbusSequentialDataBlock(0, [0]),
        co=ModbusSequentialDataBlock(0, [0]),
        hr=ModbusSequentialDataBlock(0, [0] * 4),
        ir=sdm630_block(),
        zero_mode=True,  # protocol address N is block index N
    )
    return ModbusServerContext(slaves={unit: slave}, single=False)


async def serve_tcp(port, unit):
    server = await StartAsyncTcpServer(
        context=context(unit),
        address=("127.0.0.1", port),
        defer_start=True,
        allow_reuse_address=True,
    )
    task = asyncio.create_task(server.serve_forever())
    await server.serving
    bound = server.server.sockets[0].getsockname()[1]
    print(f"ready {bound}", flush=True)
    await task


async def serve_rtu(device, unit, baud):
    server = await StartAsyncSerialServer(
        context=context(unit),
        framer=ModbusRtuFramer,
        port=device,
        baudrate=baud,
        bytesize=8,
        parity="N",
        stopbits=1,
        defer_start=True,
    )
    await server.start()
    print("ready", flush=True)
    await server.serve_forever()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--tcp", type=int, metavar="PORT")
    where.add_argument("--rtu", metavar="DEVICE")
    ap.add_argument("--unit", type=int, default=1)
    ap.add_argument("--baud", type=int, default=9600)
    args = ap.parse_args()
    if args.tcp is not None:
        asyncio.run(serve_tcp(args.tcp, args.unit))
    else:
        asyncio.run(serve_rtu(args.rtu, args.unit, args.baud))
    return 0


if __name__ == "__main__":
    sys.exit(main())
