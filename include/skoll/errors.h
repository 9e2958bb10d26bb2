/*
 * The native error codes: one list, from which the enum and the message table
 * are generated. Every native system call returns one of these in rax.
 */
#pragma once

#define SK_ERRORS(X) \
    X(SK_OK, 0, "success") \
    X(SK_ERR_UNSUPPORTED, 1, "no such system call or operation") \
    X(SK_ERR_BAD_HANDLE, 2, "no such handle") \
    X(SK_ERR_WRONG_TYPE, 3, "handle names an object of another type") \
    X(SK_ERR_NO_RIGHTS, 4, "handle lacks a required right") \
    X(SK_ERR_FAULT, 5, "bad user memory address") \
    X(SK_ERR_INVALID, 6, "invalid argument") \
    X(SK_ERR_ALIGNMENT, 7, "misaligned address or size") \
    X(SK_ERR_TOO_BIG, 8, "size or count too large") \
    X(SK_ERR_NO_MEMORY, 9, "out of memory") \
    X(SK_ERR_NOT_FOUND, 10, "not found") \
    X(SK_ERR_TIMEOUT, 11, "timed out") \
    X(SK_ERR_AGAIN, 12, "value changed, try again") \
    X(SK_ERR_BUSY, 13, "resource busy or already in use") \
    X(SK_ERR_OUT_OF_RANGE, 14, "address or offset out of range") \
    X(SK_ERR_DEAD, 15, "object is dead") \
    X(SK_ERR_LIMIT, 16, "a per-process limit was reached") \
    X(SK_ERR_CANCELLED, 17, "operation cancelled") \
    X(SK_ERR_ALERTED, 18, "woken by an alert") \
    X(SK_ERR_NOT_STOPPED, 19, "thread is not stopped") \
    X(SK_ERR_MISMATCH, 20, "the IPC actions matched on a stream are incompatible") \
    X(SK_ERR_BUFFER_TOO_SMALL, 21, "the receive buffer is smaller than the message") \
    X(SK_ERR_END_OF_LANE, 22, "the other end of the lane is gone or shut down") \
    X(SK_ERR_DISMISSED, 23, "the peer dismissed the action")

typedef enum {
#define SK_ERROR_ENUM(name, value, msg) name = value,
    SK_ERRORS(SK_ERROR_ENUM)
#undef SK_ERROR_ENUM
    SK_ERROR_COUNT
} sk_error_t;
