/* The legacy 8259 PIC pair: remapped out of the exception range and fully masked. */
#pragma once

/* Remap the PICs to vectors 32-47 and mask every line. */
void pic_disable(void);
