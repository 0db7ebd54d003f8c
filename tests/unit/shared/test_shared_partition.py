"""The relay's partition choice is Kafka's default one, byte for byte."""

from __future__ import annotations

import random
import uuid

from aiokafka.partitioner import DefaultPartitioner
from aiokafka.partitioner import murmur2 as reference

from shared.kafka.partition import murmur2, partition_for


def test_murmur2_matches_the_reference_for_every_length_and_byte():
    rng = random.Random(20261130)
    samples = [b"", b"\x00", b"\xff" * 7, "报告-重庆".encode()]
    samples += [bytes(rng.randrange(256) for _ in range(n)) for n in range(0, 80) for _ in range(25)]
    samples += [str(uuid.UUID(int=rng.getrandbits(128))).encode() for _ in range(2000)]
    assert [murmur2(s) for s in samples] == [reference(s) for s in samples]


def test_known_values_of_the_java_client():
    # org.apache.kafka.common.utils.UtilsTest.testMurmur2 (as signed ints there).
    cases = {b"21": -973932308, b"foobar": -790332482, b"a-little-bit-long-string": -985981536,
             b"a-little-bit-longer-string": -1486304829,
             b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971, b"abc": 479470107}
    for data, signed in cases.items():
        assert murmur2(data) == signed & 0xFFFFFFFF


def test_partition_for_agrees_with_the_default_partitioner():
    default = DefaultPartitioner()
    rng = random.Random(7)
    for n in (1, 3, 6, 12):
        partitions = list(range(n))
        for _ in range(500):
            key = str(uuid.UUID(int=rng.getrandbits(128))).encode()
            assert partition_for(key, partitions) == default(key, partitions, partitions)
    assert partition_for(None, [4, 5]) in {4, 5}
