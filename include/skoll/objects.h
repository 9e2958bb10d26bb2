/* Object types and the rights a handle can carry. */
#pragma once

#define SK_OBJECT_TYPES(X) \
    X(SK_OBJ_NONE, 0, "none") \
    X(SK_OBJ_UNIVERSE, 1, "universe") \
    X(SK_OBJ_SPACE, 2, "address space") \
    X(SK_OBJ_MEMORY, 3, "memory object") \
    X(SK_OBJ_THREAD, 4, "thread") \
    X(SK_OBJ_HW_ACCESS, 5, "hardware access") \
    X(SK_OBJ_QUEUE, 6, "queue") \
    X(SK_OBJ_EVENT, 7, "event") \
    X(SK_OBJ_IRQ, 8, "irq") \
    X(SK_OBJ_LANE, 9, "lane") \
    X(SK_OBJ_TOKEN, 10, "credentials token")

enum sk_object_type {
#define SK_OBJECT_ENUM(name, value, desc) name = value,
    SK_OBJECT_TYPES(SK_OBJECT_ENUM)
#undef SK_OBJECT_ENUM
};

/* Rights bits. Anything derived from a handle has at most its rights. */
#define SK_RIGHT_READ (1u << 0)     /* read contents / state */
#define SK_RIGHT_WRITE (1u << 1)    /* modify contents / state */
#define SK_RIGHT_EXECUTE (1u << 2)  /* map executable */
#define SK_RIGHT_MAP (1u << 3)      /* map into a space / map into this space */
#define SK_RIGHT_TRANSFER (1u << 4) /* may be copied to another universe */
#define SK_RIGHT_MANAGE (1u << 5)   /* control: start/kill a thread, insert into a universe */
#define SK_RIGHT_WAIT (1u << 6)     /* wait on it */
#define SK_RIGHT_SIGNAL (1u << 7)   /* signal / wake it */
#define SK_RIGHT_DUPLICATE (1u << 8) /* may be duplicated within the universe */
#define SK_RIGHTS_ALL 0x1ffu
